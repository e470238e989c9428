/**
 * The discovery documents of the sandbox's Kubernetes API: what kubectl reads before it can map
 * `configmap` to a URL (Kubernetes API concepts, "Discovery API"; shapes from apimachinery
 * metav1.APIVersions, APIGroupList, APIResourceList and version.Info). Only what the sandbox serves
 * is listed: ConfigMaps in the core group, SelfSubjectAccessReview (`kubectl auth can-i`) and
 * SelfSubjectReview (`kubectl auth whoami`). kubectl asks /api and /apis for the aggregated
 * discovery format first (Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,
 * …, application/json); a plain APIVersions / APIGroupList answer makes it fall back to reading
 * each group version, which is what these are.
 */
import type { JsonObject } from './patch.ts';

/** GET /version: version.Info. EKS reports `v1.<minor>.<patch>-eks-<commit>`; the sandbox's patch and commit are made up. */
export function versionInfo(version: string): JsonObject {
  const [major = '1', minor = '0'] = version.split('.');
  return {
    major,
    minor,
    gitVersion: `v${major}.${minor}.0-eks-sandbox`,
    gitCommit: '0000000000000000000000000000000000000000',
    gitTreeState: 'clean',
    buildDate: '2026-01-01T00:00:00Z',
    goVersion: 'go1.23.0',
    compiler: 'gc',
    platform: 'linux/amd64',
  };
}

/** GET /api */
export function coreVersions(serverAddress: string): JsonObject {
  return { kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }] };
}

/** The verbs the sandbox serves on configmaps (no watch, no deletecollection). */
export const CONFIGMAP_VERBS = ['create', 'delete', 'get', 'list', 'patch', 'update'];

/** GET /api/v1 (namespaces are served read-only: every cluster has the four built-in ones). */
export const CORE_V1_RESOURCES: JsonObject = {
  kind: 'APIResourceList',
  groupVersion: 'v1',
  resources: [
    { name: 'configmaps', singularName: 'configmap', namespaced: true, kind: 'ConfigMap', verbs: CONFIGMAP_VERBS, shortNames: ['cm'], storageVersionHash: 'qFsyl6wFWjQ=' },
    { name: 'namespaces', singularName: 'namespace', namespaced: false, kind: 'Namespace', verbs: ['get', 'list'], shortNames: ['ns'], storageVersionHash: 'Q3oi5N2YM8M=' },
  ],
};

const GROUPS = {
  'authentication.k8s.io': { kind: 'SelfSubjectReview', name: 'selfsubjectreviews' },
  'authorization.k8s.io': { kind: 'SelfSubjectAccessReview', name: 'selfsubjectaccessreviews' },
} as const;

export type ApiGroup = keyof typeof GROUPS;

export const isApiGroup = (g: string): g is ApiGroup => g in GROUPS;

/** GET /apis */
export const API_GROUPS: JsonObject = {
  kind: 'APIGroupList',
  apiVersion: 'v1',
  groups: Object.keys(GROUPS).map((name) => ({ name, versions: [{ groupVersion: `${name}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' } })),
};

/** GET /apis/<group> */
export function groupDocument(group: ApiGroup): JsonObject {
  return { kind: 'APIGroup', apiVersion: 'v1', name: group, versions: [{ groupVersion: `${group}/v1`, version: 'v1' }], preferredVersion: { groupVersion: `${group}/v1`, version: 'v1' } };
}

/** GET /apis/<group>/v1 */
export function groupResources(group: ApiGroup): JsonObject {
  const { kind, name } = GROUPS[group];
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/v1`, resources: [{ name, singularName: kind.toLowerCase(), namespaced: false, kind, verbs: ['create'] }] };
}
