/**
 * What an authenticated Kubernetes user may do on an EKS cluster, decided in EKS's order:
 *
 *  1. `system:masters` is the superuser group: every request is allowed (Kubernetes docs, "Using
 *     RBAC Authorization", default ClusterRoleBinding cluster-admin → Group system:masters).
 *  2. The access policies of the caller's access entry, each within its scope (EKS User Guide,
 *     "Associate access policies with access entries": cluster scope or a list of namespaces).
 *     Their rules are "similar to the permissions in the Kubernetes user-facing cluster roles"
 *     (EKS User Guide, "Review access policy permissions"): AmazonEKSClusterAdminPolicy ≈
 *     cluster-admin, AmazonEKSAdminPolicy ≈ admin, AmazonEKSEditPolicy ≈ edit, AmazonEKSViewPolicy
 *     ≈ view, AmazonEKSAdminViewPolicy = get/list/watch on everything. Only the rules on what the
 *     sandbox serves matter: view reads configmaps and namespaces, edit and admin also write
 *     configmaps (Kubernetes docs, "User-facing roles").
 *  3. Kubernetes RBAC: the default bindings every authenticated user has (system:discovery,
 *     system:basic-user, system:public-info-viewer: discovery paths, self reviews), and the Role
 *     and RoleBinding the README has the operator create for the migration workflow's group
 *     (`kubectl -n kube-system create role eks-access-pilot-aws-auth --verb=get,update
 *     --resource=configmaps --resource-name=aws-auth` and the rolebinding to the group of the same
 *     name; functions/migration/tasks/describe-cluster.ts `accessRowFor`). The sandbox does not
 *     serve RBAC objects: this one pair exists in every cluster, as if the operator had run them.
 *
 * RBAC rule matching is the API server's (k8s.io/kubernetes pkg/registry/rbac/validation,
 * `RuleAllows`): a rule matches when its verbs, API groups and resources match (`*` matches all)
 * and its resourceNames are empty or contain the request's name — so a rule with resourceNames
 * never allows list or create. Anything not allowed is 403 Forbidden with the API server's message
 * (k8s.io/apiserver pkg/endpoints/handlers/responsewriters, `forbiddenMessage`).
 */
import type { KubeUser, PolicyAssociation } from './authn.ts';

/** A request on a resource (authorization.k8s.io ResourceAttributes). */
export interface ResourceAttributes {
  verb: string;
  /** The API group: "" for the core group (configmaps). */
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

/** A request on a path that is not a resource (discovery, /version). */
export interface NonResourceAttributes {
  verb: string;
  path: string;
}

export type Attributes = ResourceAttributes | NonResourceAttributes;

export interface Decision {
  allowed: boolean;
  /** Why, in the words of the authorizer that decided (empty when nothing allowed it). */
  reason: string;
}

interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface Binding {
  /** `RoleBinding "name/namespace" of Role "role"`, or `ClusterRoleBinding "name" of ClusterRole "role"`. */
  describe: string;
  /** The namespace a RoleBinding grants in; undefined for a ClusterRoleBinding. */
  namespace?: string;
  groups: string[];
  rules: PolicyRule[];
}

const READ = ['get', 'list', 'watch'];
const WRITE = ['create', 'delete', 'deletecollection', 'patch', 'update'];
const CONFIGMAPS = (verbs: string[]): PolicyRule => ({ verbs, apiGroups: [''], resources: ['configmaps'] });
const NAMESPACES: PolicyRule = { verbs: READ, apiGroups: [''], resources: ['namespaces'] };

/** The access policies' rules, as far as the sandbox's resources go (see the file comment). */
const ACCESS_POLICY_RULES: Record<string, PolicyRule[]> = {
  AmazonEKSClusterAdminPolicy: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verbs: ['*'], nonResourceURLs: ['*'] }],
  AmazonEKSAdminPolicy: [CONFIGMAPS([...READ, ...WRITE]), NAMESPACES],
  AmazonEKSEditPolicy: [CONFIGMAPS([...READ, ...WRITE]), NAMESPACES],
  AmazonEKSViewPolicy: [CONFIGMAPS(READ), NAMESPACES],
  AmazonEKSAdminViewPolicy: [{ verbs: READ, apiGroups: ['*'], resources: ['*'] }],
};

/** The migration workflow's Kubernetes group (README, "Migrating a cluster …"; describe-cluster.ts WORKFLOW_GROUP). */
export const WORKFLOW_GROUP = 'eks-access-pilot-aws-auth';

const BINDINGS: Binding[] = [
  {
    describe: 'ClusterRoleBinding "system:discovery" of ClusterRole "system:discovery"',
    groups: ['system:authenticated'],
    rules: [{ verbs: ['get'], nonResourceURLs: ['/api', '/api/*', '/apis', '/apis/*', '/healthz', '/livez', '/openapi', '/openapi/*', '/readyz', '/version', '/version/'] }],
  },
  {
    describe: 'ClusterRoleBinding "system:basic-user" of ClusterRole "system:basic-user"',
    groups: ['system:authenticated'],
    rules: [
      { verbs: ['create'], apiGroups: ['authorization.k8s.io'], resources: ['selfsubjectaccessreviews', 'selfsubjectrulesreviews'] },
      { verbs: ['create'], apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'] },
    ],
  },
  {
    describe: `RoleBinding "${WORKFLOW_GROUP}/kube-system" of Role "${WORKFLOW_GROUP}"`,
    namespace: 'kube-system',
    groups: [WORKFLOW_GROUP],
    rules: [{ verbs: ['get', 'update'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['aws-auth'] }],
  },
];

const matches = (values: string[] | undefined, value: string) => (values ?? []).some((v) => v === '*' || v === value);

/** rbac/validation RuleAllows. */
function ruleAllows(rule: PolicyRule, a: Attributes): boolean {
  if (!matches(rule.verbs, a.verb)) return false;
  if ('path' in a) return (rule.nonResourceURLs ?? []).some((u) => u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1))));
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  if (!matches(rule.apiGroups, a.group) || !matches(rule.resources, resource)) return false;
  return !rule.resourceNames?.length || (a.name !== undefined && a.name !== '' && rule.resourceNames.includes(a.name));
}

/** Whether an access policy association allows the request: its rules, within its scope. */
function associationAllows(p: PolicyAssociation, a: Attributes): boolean {
  const name = p.policyArn.split('/').pop() ?? '';
  if (p.scope.type === 'namespace' && ('path' in a || a.namespace === undefined || !p.scope.namespaces.includes(a.namespace))) return false;
  return (ACCESS_POLICY_RULES[name] ?? []).some((r) => ruleAllows(r, a));
}

export function authorize(user: KubeUser, a: Attributes): Decision {
  if (user.unrestricted) return { allowed: true, reason: 'the sandbox was told only that an access entry exists, not its groups and policies' };
  if (user.groups.includes('system:masters')) return { allowed: true, reason: 'system:masters is the superuser group' };
  const policy = user.accessPolicies.find((p) => associationAllows(p, a));
  if (policy) return { allowed: true, reason: `EKS access policy ${policy.policyArn} (${policy.scope.type === 'cluster' ? 'cluster' : policy.scope.namespaces.join(',')} scope)` };
  for (const b of BINDINGS) {
    const group = b.groups.find((g) => user.groups.includes(g));
    if (!group) continue;
    if (b.namespace !== undefined && ('path' in a || a.namespace !== b.namespace)) continue;
    if (b.rules.some((r) => ruleAllows(r, a))) return { allowed: true, reason: `RBAC: allowed by ${b.describe} to Group "${group}"` };
  }
  return { allowed: false, reason: '' };
}

/**
 * The message and details of the 403 Status (responsewriters `forbiddenMessage` inside
 * apierrors.NewForbidden): `configmaps "aws-auth" is forbidden: User "u" cannot get resource
 * "configmaps" in API group "" in the namespace "kube-system"`.
 */
export function forbidden(user: KubeUser, a: Attributes): { message: string; details?: { name?: string; group?: string; kind: string } } {
  const who = `User "${user.username}" cannot ${a.verb}`;
  if ('path' in a) return { message: `forbidden: ${who} path "${a.path}"` };
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const where = a.namespace ? `in the namespace "${a.namespace}"` : 'at the cluster scope';
  const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
  const subject = a.name ? `${qualified} "${a.name}"` : qualified;
  return {
    message: `${subject} is forbidden: ${who} resource "${resource}" in API group "${a.group}" ${where}`,
    details: { ...(a.name ? { name: a.name } : {}), ...(a.group ? { group: a.group } : {}), kind: a.resource },
  };
}
