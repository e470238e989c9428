/**
 * The `aws-auth` ConfigMap in kube-system, read and written through the Kubernetes API with
 * @kubernetes/client-node and an EKS token. Writes carry the `resourceVersion` that was
 * read, so a concurrent edit makes the API answer 409 Conflict instead of being lost.
 */
import { ApiException, CoreV1Api, KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { EksAccessPilotError } from '#kernel/errors';
import { KubernetesUnavailableError } from '#migration/domain/errors';
import { eksToken, type TokenOptions } from './eks-token.ts';

export const AWS_AUTH = { name: 'aws-auth', namespace: 'kube-system' } as const;

export interface ConfigMapSnapshot {
  /** False when the cluster has no aws-auth ConfigMap at all. */
  exists: boolean;
  data: Record<string, string>;
  resourceVersion?: string;
}

export interface AwsAuthStore {
  read(): Promise<ConfigMapSnapshot>;
  /** Replaces `data`, expecting `resourceVersion`; returns the new version. */
  write(data: Record<string, string>, resourceVersion: string | undefined): Promise<string | undefined>;
}

export class ConcurrentEditError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConcurrentEditError';
  }
}

export class KubernetesAccessError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'KubernetesAccessError';
  }
}

export interface ClusterEndpoint {
  clusterName: string;
  region: string;
  /** From DescribeCluster: `cluster.endpoint`. */
  endpoint: string;
  /** From DescribeCluster: `cluster.certificateAuthority.data` (base64 PEM). */
  caData: string;
  credentials?: TokenOptions['credentials'];
}

export async function coreApi(c: ClusterEndpoint): Promise<CoreV1Api> {
  const token = await eksToken({ clusterName: c.clusterName, region: c.region, credentials: c.credentials });
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: c.clusterName, server: c.endpoint, caData: c.caData, skipTLSVerify: false }],
    users: [{ name: 'eks-access-pilot', token }],
    contexts: [{ name: c.clusterName, cluster: c.clusterName, user: 'eks-access-pilot' }],
    currentContext: c.clusterName,
  });
  return kc.makeApiClient(CoreV1Api);
}

/** The Retry-After header of a response, whatever its case, for the message. */
function retryAfter(headers: Record<string, string> | undefined): string | undefined {
  const key = Object.keys(headers ?? {}).find((k) => k.toLowerCase() === 'retry-after');
  return key ? headers![key] : undefined;
}

function explain(e: unknown, what: string): Error {
  if (e instanceof ApiException) {
    if (e.code === 409) return new ConcurrentEditError(`${what}: aws-auth was changed by someone else since it was read (409 Conflict)`, { cause: e });
    if (e.code === 401 || e.code === 403) {
      return new KubernetesAccessError(`${what}: the Kubernetes API refused this role (${e.code}); in CONFIG_MAP mode it must be mapped in aws-auth`, { cause: e });
    }
    // 429 and 5xx are transient by the Kubernetes API conventions (API Concepts: a 429 "may be
    // retried after the Retry-After"; client-go retries 429 and 5xx): a typed name the ASL's
    // Retry matches, so one busy answer does not fail the run.
    if (e.code === 429 || (e.code >= 500 && e.code <= 599)) {
      const after = retryAfter(e.headers);
      return new KubernetesUnavailableError(`${what}: the Kubernetes API answered ${e.code}${after ? ` (Retry-After: ${after})` : ''}; retried with backoff`, { cause: e });
    }
  }
  return e instanceof Error ? e : new Error(String(e));
}

export function awsAuthStore(api: CoreV1Api): AwsAuthStore {
  return {
    async read() {
      try {
        const cm = await api.readNamespacedConfigMap(AWS_AUTH);
        return { exists: true, data: { ...(cm.data ?? {}) }, resourceVersion: cm.metadata?.resourceVersion };
      } catch (e) {
        if (e instanceof ApiException && e.code === 404) return { exists: false, data: {} };
        throw explain(e, 'reading aws-auth');
      }
    },
    async write(data, resourceVersion) {
      const body: V1ConfigMap = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { ...AWS_AUTH, resourceVersion },
        data,
      };
      try {
        const cm = resourceVersion
          ? await api.replaceNamespacedConfigMap({ ...AWS_AUTH, body })
          : await api.createNamespacedConfigMap({ namespace: AWS_AUTH.namespace, body });
        return cm.metadata?.resourceVersion;
      } catch (e) {
        throw explain(e, 'writing aws-auth');
      }
    },
  };
}
