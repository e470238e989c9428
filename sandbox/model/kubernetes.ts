// Stateful model of one EKS cluster's Kubernetes API, the slice the migration and an operator's
// kubectl use: ConfigMaps (aws-auth in kube-system) kept as the API server keeps them, who the
// API server lets in (sandbox/kubernetes/authn.ts) and what it lets them do
// (sandbox/kubernetes/authz.ts). The same model answers in process (`api(callerArn)`, shaped like
// @kubernetes/client-node's CoreV1Api, so the real `awsAuthStore` adapter runs against it
// unchanged) and over HTTPS (sandbox/server/services/kubernetes.ts, for the SDK and kubectl).
//
// Objects (Kubernetes API concepts, "Resource versions", "Server-side field validation";
// k8s.io/apiserver registry and storage): `metadata.uid` is a UUID given at creation and never
// changed; `creationTimestamp` is set at creation; `resourceVersion` is an opaque string that
// changes on every write that changes the object (a write that changes nothing is skipped by the
// storage layer and keeps it); labels and annotations are kept as sent; `managedFields` records
// each writer (sandbox/kubernetes/managed-fields.ts). Preconditions: a replace or patch whose
// metadata.resourceVersion is not the current one is 409 Conflict ("the object has been modified;
// please apply your changes to the latest version and try again"); without one the write is
// unconditional (ConfigMaps allow unconditional update); a uid that is not the object's is 409
// Conflict; create of an existing object is 409 AlreadyExists; a missing object is 404; a body
// whose name or namespace differs from the URL's is 400 BadRequest. ConfigMap validation
// (k8s.io/kubernetes pkg/apis/core/validation, ValidateConfigMap): the name is a DNS subdomain,
// data and binaryData keys match [-._a-zA-Z0-9]+ and do not repeat across the two, the whole at
// most 1 MiB; an immutable ConfigMap's data cannot change and it cannot become mutable.
import { randomUUID } from 'node:crypto';
import { ApiException, type V1ConfigMap } from '@kubernetes/client-node';
import { authenticate, canonicalArn, type AccessEntryView, type AuthMode, type Caller, type KubeUser } from '#sandbox/kubernetes/authn';
import { authorize, forbidden, type Attributes, type ResourceAttributes } from '#sandbox/kubernetes/authz';
import { recordWrite, type ManagedFieldsEntry } from '#sandbox/kubernetes/managed-fields';
import { PatchError, isObject, jsonEqual, jsonPatch, mergePatch, strategicMergePatch, type Json, type JsonObject } from '#sandbox/kubernetes/patch';

export type { AuthMode } from '#sandbox/kubernetes/authn';

export interface KubernetesModelOptions {
  /** The IAM principal that created the cluster with bootstrapClusterCreatorAdminPermissions (fixed). */
  creatorArn?: string;
  /** The same, read from the EKS model at each request (wins over `creatorArn`). */
  bootstrapAdminArn?: () => string | undefined;
  /** The cluster's current authentication mode (wire it to the EKS model). */
  authMode?: () => AuthMode;
  /** The access entry that authenticates this caller (an STS or IAM ARN), with its groups and policies. */
  accessEntry?: (callerArn: string) => AccessEntryView | undefined;
  /**
   * Only whether the principal has an access entry: the model then cannot know its groups and
   * policies, and lets it do everything. Prefer `accessEntry`.
   */
  hasAccessEntry?: (principalArn: string) => boolean;
  /** The cluster's Kubernetes version, e.g. "1.31" (GET /version). */
  version?: () => string;
  now?: () => Date;
}

/** Query parameters of a write (Kubernetes API reference, "Common parameters"). */
export interface WriteOptions {
  /** Who is writing, for managedFields; the HTTP layer falls back to the User-Agent. */
  fieldManager?: string;
  /** `dryRun=All`: everything but the write. */
  dryRun?: boolean;
  /** How unknown fields are treated (server-side field validation); the API server's default is Warn. */
  fieldValidation?: 'Strict' | 'Warn' | 'Ignore';
}

/** An object as the API server answers it, with the warnings for the `Warning` header. */
export interface Answer {
  body: JsonObject;
  warnings: string[];
}

export type PatchType = 'json' | 'merge' | 'strategic';

/** The CoreV1Api methods the aws-auth adapter calls, with the same argument shapes. */
export interface ConfigMapApi {
  readNamespacedConfigMap(p: { name: string; namespace: string }): Promise<V1ConfigMap>;
  replaceNamespacedConfigMap(p: { name: string; namespace: string; body: V1ConfigMap; fieldManager?: string }): Promise<V1ConfigMap>;
  createNamespacedConfigMap(p: { namespace: string; body: V1ConfigMap; fieldManager?: string }): Promise<V1ConfigMap>;
  /**
   * A list of operations is a JSON patch (RFC 6902, what CoreV1Api sends by default); an object
   * is a JSON merge patch (RFC 7386). A `metadata.resourceVersion` in the patch is a precondition,
   * 409 Conflict when it is not the current one (Kubernetes API concepts, "Patch operations").
   */
  patchNamespacedConfigMap(p: { name: string; namespace: string; body: unknown; fieldManager?: string }): Promise<V1ConfigMap>;
}

/** The field manager the API server records for @kubernetes/client-node, whose User-Agent is node-fetch's. */
export const CLIENT_NODE_MANAGER = 'node-fetch';
const SEED_MANAGER = 'sandbox-seed';
/** The namespaces every cluster has (Kubernetes docs, "Namespaces": "Initial namespaces"). */
const BUILT_IN_NAMESPACES = ['default', 'kube-node-lease', 'kube-public', 'kube-system'];
const OTHER_CLIENT_MANAGER = 'kubectl-edit';
const MAX_SIZE = 1024 * 1024;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;
const TOP_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'data', 'binaryData', 'immutable']);
const META_FIELDS = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp',
  'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
]);

/** A Kubernetes `Status` error (apimachinery metav1.Status), thrown as CoreV1Api throws it. */
export function statusError(code: number, reason: string, message: string, details?: Record<string, unknown>, headers: Record<string, string> = {}): ApiException<string> {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code });
  return new ApiException(code, `HTTP-Code: ${code}\nMessage: ${message}\nBody: ${body}`, body, headers);
}

const notFound = (name: string) => statusError(404, 'NotFound', `configmaps "${name}" not found`, { name, kind: 'configmaps' });
const conflict = (name: string, why = 'the object has been modified; please apply your changes to the latest version and try again') =>
  statusError(409, 'Conflict', `Operation cannot be fulfilled on configmaps "${name}": ${why}`, { name, kind: 'configmaps' });
const invalid = (name: string, causes: string[]) => statusError(422, 'Invalid', `ConfigMap "${name}" is invalid: ${causes.join(', ')}`, { name, kind: 'ConfigMap' });
const badRequest = (message: string) => statusError(400, 'BadRequest', message);
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

/** What @kubernetes/client-node's deserializer makes of the JSON: timestamps become Dates. */
function toClient(o: JsonObject): V1ConfigMap {
  const cm = structuredClone(o) as unknown as V1ConfigMap & { metadata: { creationTimestamp?: unknown; managedFields?: Array<{ time?: unknown }> } };
  if (typeof cm.metadata.creationTimestamp === 'string') cm.metadata.creationTimestamp = new Date(cm.metadata.creationTimestamp);
  for (const m of cm.metadata.managedFields ?? []) if (typeof m.time === 'string') m.time = new Date(m.time);
  return cm;
}

/**
 * The body as a ConfigMap: 400 when it is not one (the decoder's errors), unknown fields dropped
 * with a warning, or refused under `Strict` (server-side field validation).
 */
function decode(body: unknown, validation: WriteOptions['fieldValidation'], warnings: string[]): JsonObject {
  const cannot = (why: string) => badRequest(`ConfigMap in version "v1" cannot be handled as a ConfigMap: ${why}`);
  if (!isObject(body)) throw cannot(`json: cannot unmarshal ${Array.isArray(body) ? 'array' : typeof body} into Go value of type v1.ConfigMap`);
  if (body.kind !== undefined && body.kind !== 'ConfigMap') throw badRequest(`the kind of the object (${String(body.kind)}) does not match the kind of the URL (ConfigMap)`);
  if (body.apiVersion !== undefined && body.apiVersion !== 'v1') throw badRequest(`the API version in the data (${String(body.apiVersion)}) does not match the expected API version (v1)`);
  const o: JsonObject = structuredClone(body);
  const meta: JsonObject = isObject(o.metadata) ? o.metadata : {};
  const unknown = [...Object.keys(o).filter((k) => !TOP_FIELDS.has(k)), ...Object.keys(meta).filter((k) => !META_FIELDS.has(k)).map((k) => `metadata.${k}`)];
  if (unknown.length && validation === 'Strict') throw badRequest(`strict decoding error: ${unknown.map((f) => `unknown field "${f}"`).join(', ')}`);
  if (unknown.length && validation !== 'Ignore') warnings.push(...unknown.map((f) => `unknown field "${f}"`));
  for (const k of Object.keys(o)) if (!TOP_FIELDS.has(k)) delete o[k];
  for (const k of Object.keys(meta)) if (!META_FIELDS.has(k)) delete meta[k];
  const stringMap = (v: Json | undefined, field: string) => {
    if (v === undefined || v === null) return;
    if (!isObject(v)) throw cannot(`json: cannot unmarshal ${Array.isArray(v) ? 'array' : typeof v} into Go struct field ${field} of type map[string]string`);
    for (const x of Object.values(v)) if (typeof x !== 'string') throw cannot(`json: cannot unmarshal ${x === null ? 'null' : typeof x} into Go struct field ${field} of type string`);
  };
  stringMap(o.data, 'ConfigMap.data');
  stringMap(o.binaryData, 'ConfigMap.binaryData');
  stringMap(meta.labels, 'ObjectMeta.metadata.labels');
  stringMap(meta.annotations, 'ObjectMeta.metadata.annotations');
  if (o.immutable !== undefined && o.immutable !== null && typeof o.immutable !== 'boolean') throw cannot(`json: cannot unmarshal ${typeof o.immutable} into Go struct field ConfigMap.immutable of type bool`);
  o.metadata = meta;
  return o;
}

function validate(o: JsonObject, before: JsonObject | undefined): void {
  const meta = o.metadata as JsonObject;
  const name = String(meta.name ?? '');
  const causes: string[] = [];
  if (!DNS_SUBDOMAIN.test(name) || name.length > 253) causes.push(`metadata.name: Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character`);
  const data = isObject(o.data) ? o.data : {};
  const binary = isObject(o.binaryData) ? o.binaryData : {};
  for (const [field, m] of [['data', data], ['binaryData', binary]] as const) {
    for (const k of Object.keys(m)) {
      if (!CONFIG_KEY.test(k) || k.length > 253) causes.push(`${field}[${k}]: Invalid value: "${k}": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`);
    }
  }
  for (const k of Object.keys(binary)) {
    if (k in data) causes.push(`data[${k}]: Invalid value: "${k}": duplicate of key present in binaryData`);
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(String(binary[k]))) causes.push(`binaryData[${k}]: Invalid value: "${k}": illegal base64 data`);
  }
  const size = [...Object.entries(data), ...Object.entries(binary)].reduce((n, [k, v]) => n + k.length + String(v).length, 0);
  if (size > MAX_SIZE) causes.push(`[]: Too long: must have at most ${MAX_SIZE} bytes`);
  if (before?.immutable === true) {
    if (o.immutable !== true) causes.push('immutable: Forbidden: field is immutable when `immutable` is set');
    if (!jsonEqual(before.data, o.data)) causes.push('data: Forbidden: field is immutable when `immutable` is set');
    if (!jsonEqual(before.binaryData, o.binaryData)) causes.push('binaryData: Forbidden: field is immutable when `immutable` is set');
  }
  if (causes.length) throw invalid(name, causes);
}

/** The parts of a ConfigMap a write can change; equal means the write changes nothing. */
function content(o: JsonObject): Json {
  const meta = isObject(o.metadata) ? o.metadata : {};
  return { data: o.data ?? null, binaryData: o.binaryData ?? null, immutable: o.immutable ?? null, labels: meta.labels ?? null, annotations: meta.annotations ?? null };
}

export class KubernetesModel {
  readonly calls = new Map<string, number>();
  private readonly objects = new Map<string, JsonObject>();
  private readonly namespaces = new Map<string, JsonObject>();
  private revision = 1000;
  /** Called once before the next write is applied (to simulate a concurrent edit). */
  private beforeNextWrite: (() => void) | undefined;

  constructor(private readonly options: KubernetesModelOptions = {}) {
    const created = rfc3339(this.now());
    for (const name of BUILT_IN_NAMESPACES) {
      this.namespaces.set(name, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name, uid: randomUUID(), resourceVersion: String(++this.revision), creationTimestamp: created, labels: { 'kubernetes.io/metadata.name': name } },
        spec: { finalizers: ['kubernetes'] },
        status: { phase: 'Active' },
      });
    }
  }

  private now(): Date {
    return this.options.now?.() ?? new Date();
  }

  // ----- seeding, inspection and test controls -----

  seedConfigMap(namespace: string, name: string, data: Record<string, string>): void {
    this.store(namespace, name, SEED_MANAGER, undefined, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace }, data: { ...data } });
  }

  configMap(namespace: string, name: string): { data: Record<string, string>; resourceVersion: string; object: JsonObject } | undefined {
    const o = this.objects.get(`${namespace}/${name}`);
    return o && { data: { ...((o.data ?? {}) as Record<string, string>) }, resourceVersion: String((o.metadata as JsonObject).resourceVersion), object: structuredClone(o) };
  }

  /** Changes a ConfigMap as another client would (kubectl edit: a new resourceVersion when the data changes). */
  edit(namespace: string, name: string, change: (data: Record<string, string>) => Record<string, string>): void {
    const o = this.objects.get(`${namespace}/${name}`);
    if (!o) throw new Error(`KubernetesModel: no ConfigMap ${namespace}/${name}`);
    this.store(namespace, name, OTHER_CLIENT_MANAGER, o, { ...structuredClone(o), data: change({ ...((o.data ?? {}) as Record<string, string>) }) });
  }

  /** Runs `fn` right before the next write lands, e.g. another client's edit. */
  interceptNextWrite(fn: () => void): void {
    this.beforeNextWrite = fn;
  }

  // ----- who is calling -----

  /** The Kubernetes user the API server authenticates `caller` as, or 401 Unauthorized. */
  authenticate(caller: Caller): KubeUser {
    const o = this.options;
    const awsAuth = this.objects.get('kube-system/aws-auth');
    const who = authenticate(caller, {
      mode: o.authMode?.() ?? 'CONFIG_MAP',
      ...((o.bootstrapAdminArn?.() ?? o.creatorArn) ? { bootstrapAdminArn: o.bootstrapAdminArn?.() ?? o.creatorArn } : {}),
      ...(awsAuth ? { awsAuth: (awsAuth.data ?? {}) as Record<string, string> } : {}),
      accessEntry: (arn) => {
        if (o.accessEntry) return o.accessEntry(arn);
        const role = canonicalArn(arn).toLowerCase();
        return o.hasAccessEntry?.(role) || o.hasAccessEntry?.(arn) ? true : undefined;
      },
    });
    // Why is not in the answer (the API server says only "Unauthorized"); the sandbox puts it in a header, as the authenticator logs it.
    if ('refused' in who) throw statusError(401, 'Unauthorized', 'Unauthorized', undefined, { 'x-sandbox-refused': who.refused });
    return who;
  }

  /** Whether the API server admits this caller at all (an IAM or STS ARN). */
  admits(callerArn: string): boolean {
    try {
      this.authenticate({ arn: callerArn });
      return true;
    } catch {
      return false;
    }
  }

  /** 403 Forbidden unless `user` may make the request. */
  authorize(user: KubeUser, a: Attributes): void {
    if (authorize(user, a).allowed) return;
    const { message, details } = forbidden(user, a);
    throw statusError(403, 'Forbidden', message, details);
  }

  /** SelfSubjectAccessReview's status for `user` (authorization.k8s.io/v1). */
  review(user: KubeUser, a: Attributes): { allowed: boolean; reason?: string } {
    const d = authorize(user, a);
    return { allowed: d.allowed, ...(d.reason ? { reason: d.reason } : {}) };
  }

  /** The cluster's Kubernetes version, e.g. "1.31". */
  version(): string {
    return this.options.version?.() ?? '1.31';
  }

  // ----- namespaces (read only), for an authenticated user -----

  readNamespace(user: KubeUser, name: string): JsonObject {
    this.count('readNamespace');
    // A namespace's own namespace is itself: a RoleBinding in it may grant reading it (RBAC docs).
    this.authorize(user, { verb: 'get', group: '', resource: 'namespaces', name, namespace: name });
    const ns = this.namespaces.get(name);
    if (!ns) throw statusError(404, 'NotFound', `namespaces "${name}" not found`, { name, kind: 'namespaces' });
    return structuredClone(ns);
  }

  listNamespaces(user: KubeUser): JsonObject {
    this.count('listNamespace');
    this.authorize(user, { verb: 'list', group: '', resource: 'namespaces' });
    return { apiVersion: 'v1', kind: 'NamespaceList', metadata: { resourceVersion: String(this.revision) }, items: [...this.namespaces.values()].map((n) => structuredClone(n)) };
  }

  // ----- the ConfigMap API, for an authenticated user -----

  read(user: KubeUser, namespace: string, name: string): JsonObject {
    this.count('readNamespacedConfigMap');
    this.authorize(user, configmaps('get', namespace, name));
    const o = this.objects.get(`${namespace}/${name}`);
    if (!o) throw notFound(name);
    return structuredClone(o);
  }

  /** The ConfigMaps of a namespace, or of all namespaces (a cluster-scoped list) without one. */
  list(user: KubeUser, namespace?: string): JsonObject {
    this.count(namespace === undefined ? 'listConfigMapForAllNamespaces' : 'listNamespacedConfigMap');
    this.authorize(user, namespace === undefined ? { verb: 'list', group: '', resource: 'configmaps' } : configmaps('list', namespace));
    const items = [...this.objects.entries()].filter(([k]) => namespace === undefined || k.startsWith(`${namespace}/`)).map(([, o]) => structuredClone(o));
    return { apiVersion: 'v1', kind: 'ConfigMapList', metadata: { resourceVersion: String(this.revision) }, items };
  }

  create(user: KubeUser, namespace: string, body: unknown, opts: WriteOptions): Answer {
    this.count('createNamespacedConfigMap');
    const warnings: string[] = [];
    const o = decode(body, opts.fieldValidation, warnings);
    const meta = o.metadata as JsonObject;
    const name = typeof meta.name === 'string' ? meta.name : '';
    // A create names the collection, not the object: a rule with resourceNames never allows it.
    this.authorize(user, configmaps('create', namespace));
    if (meta.namespace !== undefined && meta.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    if (!name) throw statusError(422, 'Invalid', 'ConfigMap "" is invalid: metadata.name: Required value: name or generateName is required', { kind: 'ConfigMap' });
    // The NamespaceLifecycle admission plugin: nothing is created in a namespace that does not exist.
    if (!this.namespaces.has(namespace)) throw statusError(404, 'NotFound', `namespaces "${namespace}" not found`, { name: namespace, kind: 'namespaces' });
    this.runInterceptor();
    if (this.objects.has(`${namespace}/${name}`)) throw statusError(409, 'AlreadyExists', `configmaps "${name}" already exists`, { name, kind: 'configmaps' });
    return { body: this.store(namespace, name, opts.fieldManager ?? CLIENT_NODE_MANAGER, undefined, o, opts.dryRun), warnings };
  }

  replace(user: KubeUser, namespace: string, name: string, body: unknown, opts: WriteOptions): Answer {
    this.count('replaceNamespacedConfigMap');
    this.authorize(user, configmaps('update', namespace, name));
    const warnings: string[] = [];
    const o = decode(body, opts.fieldValidation, warnings);
    const meta = o.metadata as JsonObject;
    if (meta.name !== undefined && meta.name !== name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    if (meta.namespace !== undefined && meta.namespace !== namespace) throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
    this.runInterceptor();
    const current = this.objects.get(`${namespace}/${name}`);
    if (!current) throw notFound(name);
    return { body: this.update(namespace, name, current, o, opts), warnings };
  }

  patch(user: KubeUser, namespace: string, name: string, type: PatchType, patch: unknown, opts: WriteOptions): Answer {
    this.count('patchNamespacedConfigMap');
    this.authorize(user, configmaps('patch', namespace, name));
    this.runInterceptor();
    const current = this.objects.get(`${namespace}/${name}`);
    if (!current) throw notFound(name);
    if (type !== 'json' && !isObject(patch)) throw badRequest(`json: cannot unmarshal ${Array.isArray(patch) ? 'array' : typeof patch} into Go value of type map[string]interface {}`);
    let patched: Json | undefined;
    try {
      patched = type === 'json' ? jsonPatch(current, patch) : type === 'merge' ? mergePatch(current, patch as Json) : strategicMergePatch(current, patch as Json);
    } catch (e) {
      if (e instanceof PatchError) throw e.code === 400 ? badRequest(e.message) : statusError(422, 'Invalid', e.message, { name, kind: 'configmaps' });
      throw e;
    }
    const warnings: string[] = [];
    const o = decode(patched ?? {}, opts.fieldValidation, warnings);
    const meta = o.metadata as JsonObject;
    if (meta.name !== name) throw badRequest(`the name of the object (${String(meta.name)}) does not match the name on the URL (${name})`);
    return { body: this.update(namespace, name, current, o, opts), warnings };
  }

  remove(user: KubeUser, namespace: string, name: string, opts: WriteOptions): JsonObject {
    this.count('deleteNamespacedConfigMap');
    this.authorize(user, configmaps('delete', namespace, name));
    this.runInterceptor();
    const current = this.objects.get(`${namespace}/${name}`);
    if (!current) throw notFound(name);
    if (!opts.dryRun) this.objects.delete(`${namespace}/${name}`);
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { name, kind: 'configmaps', uid: (current.metadata as JsonObject).uid ?? '' } };
  }

  /** The CoreV1Api a client authenticated as `callerArn` gets. */
  api(callerArn: string): ConfigMapApi {
    const user = () => this.authenticate({ arn: callerArn });
    const opts = (fieldManager: string | undefined): WriteOptions => ({ fieldManager: fieldManager ?? CLIENT_NODE_MANAGER });
    return {
      readNamespacedConfigMap: async ({ name, namespace }) => toClient(this.read(user(), namespace, name)),
      replaceNamespacedConfigMap: async ({ name, namespace, body, fieldManager }) => toClient(this.replace(user(), namespace, name, body, opts(fieldManager)).body),
      createNamespacedConfigMap: async ({ namespace, body, fieldManager }) => toClient(this.create(user(), namespace, body, opts(fieldManager)).body),
      patchNamespacedConfigMap: async ({ name, namespace, body, fieldManager }) =>
        toClient(this.patch(user(), namespace, name, Array.isArray(body) ? 'json' : 'merge', body, opts(fieldManager)).body),
    };
  }

  // ----- internals -----

  private count(op: string): void {
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
  }

  private runInterceptor(): void {
    const fn = this.beforeNextWrite;
    this.beforeNextWrite = undefined;
    fn?.();
  }

  /** An update of `current` to `next`: preconditions, validation, then the write (skipped when nothing changes). */
  private update(namespace: string, name: string, current: JsonObject, next: JsonObject, opts: WriteOptions): JsonObject {
    const cur = current.metadata as JsonObject;
    const meta = next.metadata as JsonObject;
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== null && meta.resourceVersion !== '' && meta.resourceVersion !== cur.resourceVersion) throw conflict(name);
    if (meta.uid !== undefined && meta.uid !== null && meta.uid !== '' && meta.uid !== cur.uid) {
      throw conflict(name, `Precondition failed: UID in precondition: ${String(meta.uid)}, UID in object meta: ${String(cur.uid)}`);
    }
    return this.store(namespace, name, opts.fieldManager ?? CLIENT_NODE_MANAGER, current, next, opts.dryRun);
  }

  /** Validates and writes `next` (a create when `before` is undefined); returns what the API server answers. */
  private store(namespace: string, name: string, manager: string, before: JsonObject | undefined, next: JsonObject, dryRun = false): JsonObject {
    validate({ ...next, metadata: { ...(next.metadata as JsonObject), name } }, before);
    if (before && jsonEqual(content(before), content(next))) return structuredClone(before);
    const now = this.now();
    const prev = (before?.metadata ?? {}) as JsonObject;
    const sent = next.metadata as JsonObject;
    const object: JsonObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name,
        namespace,
        uid: (prev.uid as string | undefined) ?? randomUUID(),
        resourceVersion: dryRun ? String(prev.resourceVersion ?? '') : String(++this.revision),
        creationTimestamp: (prev.creationTimestamp as string | undefined) ?? rfc3339(now),
        ...(isObject(sent.labels) ? { labels: sent.labels } : {}),
        ...(isObject(sent.annotations) ? { annotations: sent.annotations } : {}),
      },
      ...(isObject(next.data) ? { data: next.data } : {}),
      ...(isObject(next.binaryData) ? { binaryData: next.binaryData } : {}),
      ...(typeof next.immutable === 'boolean' ? { immutable: next.immutable } : {}),
    };
    const managed = recordWrite((prev.managedFields ?? []) as unknown as ManagedFieldsEntry[], manager, before, object, now);
    (object.metadata as JsonObject).managedFields = managed as unknown as Json;
    if (!dryRun) this.objects.set(`${namespace}/${name}`, object);
    return structuredClone(object);
  }
}

/** The attributes of a request on configmaps in a namespace. */
export function configmaps(verb: string, namespace: string, name?: string): ResourceAttributes {
  return { verb, group: '', resource: 'configmaps', namespace, ...(name !== undefined ? { name } : {}) };
}
