// Stateful model of the Kubernetes API slice the migration uses: ConfigMaps (aws-auth in
// kube-system) with resourceVersion optimistic concurrency, and who the API server admits on an
// EKS cluster. It answers like @kubernetes/client-node's CoreV1Api (ApiException with the HTTP
// status), so the real `awsAuthStore` adapter runs against it unchanged.
//
// Rules: a replace whose metadata.resourceVersion is not the current one is 409 Conflict ("the
// object has been modified; please apply your changes to the latest version and try again"); a
// replace without resourceVersion is unconditional; create of an existing object is 409
// AlreadyExists; a missing object is 404. resourceVersion is an opaque string that changes on
// every write (here: a counter shared by the model, like etcd's revision).
// Who gets in (aws-iam-authenticator, EKS docs "Grant IAM users access to Kubernetes"): in
// CONFIG_MAP and API_AND_CONFIG_MAP mode a role mapped in aws-auth mapRoles — matched on the ARN
// without its path, since sessions are canonicalised to arn:…:role/<name> — or a user in
// mapUsers; the cluster creator (bootstrap admin); in API_AND_CONFIG_MAP and API mode a principal
// with an access entry. Anyone else gets 401 Unauthorized. RBAC inside the cluster is not
// modelled: an admitted caller may read and write aws-auth.
import { ApiException, type V1ConfigMap } from '@kubernetes/client-node';
import { parse } from 'yaml';

export type AuthMode = 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API';

export interface KubernetesModelOptions {
  /** The IAM principal that created the cluster (admitted in every mode). */
  creatorArn?: string;
  /** The cluster's current authentication mode (wire it to the EKS model). */
  authMode?: () => AuthMode;
  /** Whether the principal has an access entry (wire it to the EKS model). */
  hasAccessEntry?: (principalArn: string) => boolean;
}

interface Stored {
  data: Record<string, string>;
  resourceVersion: string;
  uid: string;
}

/** The CoreV1Api methods the aws-auth adapter calls, with the same argument shapes. */
export interface ConfigMapApi {
  readNamespacedConfigMap(p: { name: string; namespace: string }): Promise<V1ConfigMap>;
  replaceNamespacedConfigMap(p: { name: string; namespace: string; body: V1ConfigMap }): Promise<V1ConfigMap>;
  createNamespacedConfigMap(p: { namespace: string; body: V1ConfigMap }): Promise<V1ConfigMap>;
  /**
   * A JSON merge patch (RFC 7386; for a ConfigMap's string map a strategic merge patch means the
   * same): keys set to null are removed. A `metadata.resourceVersion` in the patch is a
   * precondition, 409 Conflict when it is not the current one (Kubernetes API concepts,
   * "Patch operations": resourceVersion in a patch is used for optimistic concurrency).
   */
  patchNamespacedConfigMap(p: { name: string; namespace: string; body: unknown }): Promise<V1ConfigMap>;
}

function status(code: number, reason: string, message: string): ApiException<string> {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code });
  return new ApiException(code, `HTTP-Code: ${code}\nMessage: ${message}\nBody: ${body}`, body, {});
}

/** The ARN aws-auth matches for a caller: roles without their path, users as they are. */
function canonical(arn: string): string {
  const sts = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  if (sts) return `arn:${sts[1]}:iam::${sts[2]}:role/${sts[3]}`.toLowerCase();
  const role = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (role) return `arn:${role[1]}:iam::${role[2]}:role/${role[3]}`.toLowerCase();
  return arn;
}

function listOf(text: string | undefined): Array<Record<string, unknown>> {
  try {
    const v: unknown = parse(text ?? '');
    return Array.isArray(v) ? v.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null) : [];
  } catch {
    return [];
  }
}

export class KubernetesModel {
  readonly calls = new Map<string, number>();
  private readonly objects = new Map<string, Stored>();
  private revision = 1000;
  /** Called once before the next write is applied (to simulate a concurrent edit). */
  private beforeNextWrite: (() => void) | undefined;

  constructor(private readonly options: KubernetesModelOptions = {}) {}

  // ----- seeding, inspection and test controls -----

  seedConfigMap(namespace: string, name: string, data: Record<string, string>): void {
    this.objects.set(`${namespace}/${name}`, { data: { ...data }, resourceVersion: String(++this.revision), uid: `${namespace}-${name}` });
  }

  configMap(namespace: string, name: string): { data: Record<string, string>; resourceVersion: string } | undefined {
    const o = this.objects.get(`${namespace}/${name}`);
    return o && { data: { ...o.data }, resourceVersion: o.resourceVersion };
  }

  /** Changes a ConfigMap as another client would (a new resourceVersion). */
  edit(namespace: string, name: string, change: (data: Record<string, string>) => Record<string, string>): void {
    const o = this.objects.get(`${namespace}/${name}`);
    if (!o) throw new Error(`KubernetesModel: no ConfigMap ${namespace}/${name}`);
    o.data = change({ ...o.data });
    o.resourceVersion = String(++this.revision);
  }

  /** Runs `fn` right before the next write lands, e.g. another client's edit. */
  interceptNextWrite(fn: () => void): void {
    this.beforeNextWrite = fn;
  }

  /** Whether the API server admits this caller (an IAM or STS ARN). */
  admits(callerArn: string): boolean {
    const mode = this.options.authMode?.() ?? 'CONFIG_MAP';
    const who = canonical(callerArn);
    if (this.options.creatorArn && canonical(this.options.creatorArn) === who) return true;
    if (mode !== 'CONFIG_MAP' && this.options.hasAccessEntry) {
      const iamArn = /:role\//.test(who) ? who : callerArn;
      if (this.options.hasAccessEntry(iamArn) || this.options.hasAccessEntry(callerArn)) return true;
    }
    if (mode === 'API') return false;
    const awsAuth = this.objects.get('kube-system/aws-auth');
    if (!awsAuth) return false;
    const roles = listOf(awsAuth.data.mapRoles).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v])));
    if (roles.some((r) => typeof r.rolearn === 'string' && r.rolearn.toLowerCase() === who)) return true;
    const users = listOf(awsAuth.data.mapUsers).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v])));
    return users.some((u) => u.userarn === callerArn);
  }

  /** The CoreV1Api a client authenticated as `callerArn` gets. */
  api(callerArn: string): ConfigMapApi {
    const guard = (op: string) => {
      this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
      if (!this.admits(callerArn)) throw status(401, 'Unauthorized', 'Unauthorized');
    };
    return {
      readNamespacedConfigMap: async ({ name, namespace }) => {
        guard('readNamespacedConfigMap');
        const o = this.objects.get(`${namespace}/${name}`);
        if (!o) throw status(404, 'NotFound', `configmaps "${name}" not found`);
        return this.toConfigMap(namespace, name, o);
      },
      replaceNamespacedConfigMap: async ({ name, namespace, body }) => {
        guard('replaceNamespacedConfigMap');
        this.runInterceptor();
        const o = this.objects.get(`${namespace}/${name}`);
        if (!o) throw status(404, 'NotFound', `configmaps "${name}" not found`);
        const expected = body.metadata?.resourceVersion;
        if (expected !== undefined && expected !== o.resourceVersion) {
          throw status(409, 'Conflict', `Operation cannot be fulfilled on configmaps "${name}": the object has been modified; please apply your changes to the latest version and try again`);
        }
        o.data = { ...(body.data ?? {}) };
        o.resourceVersion = String(++this.revision);
        return this.toConfigMap(namespace, name, o);
      },
      createNamespacedConfigMap: async ({ namespace, body }) => {
        guard('createNamespacedConfigMap');
        this.runInterceptor();
        const name = body.metadata?.name ?? '';
        if (this.objects.has(`${namespace}/${name}`)) throw status(409, 'AlreadyExists', `configmaps "${name}" already exists`);
        const o: Stored = { data: { ...(body.data ?? {}) }, resourceVersion: String(++this.revision), uid: `${namespace}-${name}` };
        this.objects.set(`${namespace}/${name}`, o);
        return this.toConfigMap(namespace, name, o);
      },
      patchNamespacedConfigMap: async ({ name, namespace, body }) => {
        guard('patchNamespacedConfigMap');
        this.runInterceptor();
        const o = this.objects.get(`${namespace}/${name}`);
        if (!o) throw status(404, 'NotFound', `configmaps "${name}" not found`);
        const patch = (typeof body === 'object' && body !== null ? body : {}) as { metadata?: { resourceVersion?: unknown }; data?: unknown };
        const expected = patch.metadata?.resourceVersion;
        if (expected !== undefined && expected !== null && expected !== o.resourceVersion) {
          throw status(409, 'Conflict', `Operation cannot be fulfilled on configmaps "${name}": the object has been modified; please apply your changes to the latest version and try again`);
        }
        if (patch.data === null) o.data = {};
        else if (typeof patch.data === 'object' && patch.data !== undefined) {
          const next = { ...o.data };
          for (const [k, v] of Object.entries(patch.data as Record<string, unknown>)) {
            if (v === null) delete next[k];
            else if (typeof v === 'string') next[k] = v;
            else throw status(400, 'BadRequest', `ConfigMap in version "v1" cannot be handled as a ConfigMap: json: cannot unmarshal ${typeof v} into Go struct field ConfigMap.data of type string`);
          }
          o.data = next;
        }
        o.resourceVersion = String(++this.revision);
        return this.toConfigMap(namespace, name, o);
      },
    };
  }

  private runInterceptor(): void {
    const fn = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    fn?.();
  }

  private toConfigMap(namespace: string, name: string, o: Stored): V1ConfigMap {
    return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace, resourceVersion: o.resourceVersion, uid: o.uid }, data: { ...o.data } };
  }
}
