/**
 * Who an IAM identity is inside an EKS cluster: the Kubernetes user (username and groups) the
 * API server's authenticator maps it to, by the cluster's authentication mode.
 *
 *  - CONFIG_MAP: the cluster creator, when bootstrapClusterCreatorAdminPermissions is true, "is
 *    automatically granted system:masters permissions … This principal doesn't appear in any
 *    visible configuration" (EKS User Guide, "Grant IAM users access to Kubernetes with a
 *    ConfigMap"); then the aws-auth ConfigMap.
 *  - API_AND_CONFIG_MAP: access entries, then aws-auth — "Access entries take precedence over
 *    ConfigMap entries for the same IAM principal" (EKS User Guide, "Migrating existing aws-auth
 *    ConfigMap entries to access entries"). The creator's admin is its access entry now (EKS
 *    creates it with AmazonEKSClusterAdminPolicy on the switch).
 *  - API: access entries only.
 * An identity none of these maps is not authenticated at all: the API server answers 401
 * ("You must be logged in to the server (Unauthorized)", AWS re:Post knowledge center
 * "eks-troubleshoot-iam-issues"), not 403.
 *
 * aws-auth is read the way aws-iam-authenticator reads it (pkg/mapper/configmap/configmap.go
 * `ParseMap`, mapper.go `Map`, pkg/config/mapper.go `Matches`): mapRoles is matched on the
 * caller's canonical ARN, lower-cased (an assumed-role session becomes `arn:…:iam::…:role/<name>`
 * with no path, pkg/arn/arn.go `Canonicalize`, so a rolearn written with a path never matches);
 * then mapUsers, compared ignoring case; a row without rolearn/userarn is skipped; rows are kept in
 * a map keyed by ARN, so of two rows for one role the last wins; a YAML error drops that key's
 * rows. An account in mapAccounts authenticates any of its principals as its canonical ARN with
 * no groups (pkg/server/server.go `doMapping`). Username and group templates are rendered as
 * server.go `renderTemplate` does: {{AccountID}}, {{SessionName}} (with `@` → `-`),
 * {{SessionNameRaw}}, {{AccessKeyID}}; {{EC2PrivateDNSName}} needs an EC2 instance session and an
 * EC2 lookup the sandbox does not have, so such a mapping fails (as the authenticator fails it for
 * a session that is not an instance id).
 */
import { parse } from 'yaml';

export type AuthMode = 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API';

/** An access policy associated with an access entry, with its scope (EKS AssociateAccessPolicy). */
export interface PolicyAssociation {
  policyArn: string;
  scope: { type: 'cluster' } | { type: 'namespace'; namespaces: string[] };
}

/** What the API server needs of an access entry (EKS DescribeAccessEntry, ListAssociatedAccessPolicies). */
export interface AccessEntryView {
  principalArn: string;
  type: string;
  username: string;
  kubernetesGroups: string[];
  policies: PolicyAssociation[];
}

/** The caller as the token (or the in-process client) identifies it. */
export interface Caller {
  /** STS GetCallerIdentity's Arn: an assumed-role session, an IAM user, … */
  arn: string;
  accessKeyId?: string;
  /** STS GetCallerIdentity's UserId (`AROA…:session` for a role session). */
  userId?: string;
}

/** The Kubernetes user an identity is authenticated as (authentication.k8s.io UserInfo). */
export interface KubeUser {
  username: string;
  uid: string;
  /** Includes `system:authenticated`, which the API server adds to every authenticated user. */
  groups: string[];
  extra: Record<string, string[]>;
  /** Which mapping authenticated it. */
  via: 'cluster creator' | 'access entry' | 'aws-auth';
  /** The access policies of its access entry (EKS authorizes these before RBAC). */
  accessPolicies: PolicyAssociation[];
  /**
   * Set when the model was told only that an access entry exists (KubernetesModelOptions
   * `hasAccessEntry`), not its groups and policies: what it may do is unknown, so it may do
   * everything.
   */
  unrestricted?: true;
}

/** What the authenticator knows about the cluster right now. */
export interface ClusterAuthState {
  mode: AuthMode;
  /** The creator, when bootstrapClusterCreatorAdminPermissions made it an admin. */
  bootstrapAdminArn?: string;
  /** The aws-auth ConfigMap's data, if it exists. */
  awsAuth?: Record<string, string>;
  /** The access entry of this principal, `true` when only its existence is known. */
  accessEntry(callerArn: string): AccessEntryView | true | undefined;
}

interface Identity {
  arn: string;
  canonicalArn: string;
  accountId: string;
  sessionName: string;
  accessKeyId: string;
}

/**
 * pkg/arn/arn.go `Canonicalize`: an assumed-role session becomes its role's IAM ARN (the
 * session ARN carries no path); IAM users, roles and root, and federated users, stay as they are.
 */
export function canonicalArn(arn: string): string {
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/(.+)\/[^/]+$/.exec(arn);
  return session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : arn;
}

function identityOf(caller: Caller): Identity {
  return {
    arn: caller.arn,
    canonicalArn: canonicalArn(caller.arn),
    accountId: /^arn:[^:]+:(?:iam|sts)::(\d{12}):/.exec(caller.arn)?.[1] ?? '',
    sessionName: /:assumed-role\/[^/]+\/(.+)$/.exec(caller.arn)?.[1] ?? '',
    accessKeyId: caller.accessKeyId ?? '',
  };
}

function render(template: string, id: Identity): string | undefined {
  if (template.includes('{{EC2PrivateDNSName}}')) return undefined;
  return template
    .replaceAll('{{AccountID}}', id.accountId)
    .replaceAll('{{SessionName}}', id.sessionName.replaceAll('@', '-'))
    .replaceAll('{{SessionNameRaw}}', id.sessionName)
    .replaceAll('{{AccessKeyID}}', id.accessKeyId);
}

/** A YAML list of mappings, keys lower-cased (Go's encoding/json matches field names ignoring case). */
function rows(text: string | undefined): Array<Record<string, unknown>> {
  const trimmed = (text ?? '').trim();
  // configmap.go isSkippable
  if (['', '``', '""', "''"].includes(trimmed)) return [];
  let value: unknown;
  try {
    value = parse(trimmed);
  } catch {
    return [];
  }
  if (!Array.isArray(value)) return [];
  return value
    .filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null && !Array.isArray(r))
    .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v])));
}

function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((g): g is string => typeof g === 'string') : [];
}

/** The aws-auth mapping of an identity: its username and groups templates, or undefined. */
function awsAuthMapping(data: Record<string, string>, id: Identity): { username: string; groups: string[] } | undefined {
  const who = id.canonicalArn.toLowerCase();
  let found: Record<string, unknown> | undefined;
  for (const r of rows(data.mapRoles)) if (typeof r.rolearn === 'string' && r.rolearn.toLowerCase() === who) found = r;
  if (!found) for (const u of rows(data.mapUsers)) if (typeof u.userarn === 'string' && u.userarn.toLowerCase() === who) found = u;
  if (found) return { username: typeof found.username === 'string' ? found.username : '', groups: stringList(found.groups) };
  let accounts: unknown;
  try {
    accounts = parse(data.mapAccounts ?? '');
  } catch {
    accounts = [];
  }
  if (Array.isArray(accounts) && accounts.map(String).includes(id.accountId)) return { username: id.canonicalArn, groups: [] };
  return undefined;
}

function user(id: Identity, caller: Caller, username: string, groups: string[], via: KubeUser['via'], accessPolicies: PolicyAssociation[] = []): KubeUser {
  return {
    username,
    // server.go: "aws-iam-authenticator:<account>:<user id>" (the user id without the session).
    uid: caller.userId ? `aws-iam-authenticator:${id.accountId}:${caller.userId.split(':')[0]}` : `aws-iam-authenticator:administrative:${username}`,
    groups: [...new Set([...groups, 'system:authenticated'])],
    extra: {
      arn: [id.arn],
      canonicalArn: [id.canonicalArn],
      sessionName: [id.sessionName],
      accessKeyId: [id.accessKeyId],
      ...(caller.userId ? { principalId: [caller.userId.split(':')[0]!] } : {}),
    },
    via,
    accessPolicies,
  };
}

/**
 * The Kubernetes user of `caller` on a cluster in `state`, or why it is not authenticated (the
 * API server then answers 401 Unauthorized).
 */
export function authenticate(caller: Caller, state: ClusterAuthState): KubeUser | { refused: string } {
  const id = identityOf(caller);
  if (state.mode === 'CONFIG_MAP' && state.bootstrapAdminArn && canonicalArn(state.bootstrapAdminArn).toLowerCase() === id.canonicalArn.toLowerCase()) {
    // The creator's Kubernetes username is not documented; `kubernetes-admin` is what EKS
    // reports for it (unverified), in the system:masters group (documented).
    return user(id, caller, 'kubernetes-admin', ['system:masters'], 'cluster creator');
  }
  if (state.mode !== 'CONFIG_MAP') {
    const entry = state.accessEntry(caller.arn);
    if (entry === true) return { ...user(id, caller, id.canonicalArn, [], 'access entry'), unrestricted: true };
    if (entry) {
      const username = render(entry.username, id);
      if (username === undefined) return { refused: `access entry ${entry.principalArn}: {{EC2PrivateDNSName}} needs an EC2 instance session the sandbox cannot resolve` };
      return user(id, caller, username, entry.kubernetesGroups, 'access entry', entry.policies);
    }
    if (state.mode === 'API') return { refused: `no access entry for ${id.canonicalArn} (authentication mode API)` };
  }
  const mapping = state.awsAuth ? awsAuthMapping(state.awsAuth, id) : undefined;
  if (!mapping) return { refused: `${id.canonicalArn} is not mapped in aws-auth${state.mode === 'API_AND_CONFIG_MAP' ? ' and has no access entry' : ''}` };
  const username = render(mapping.username, id);
  const groups = mapping.groups.map((g) => render(g, id));
  if (username === undefined || groups.includes(undefined)) return { refused: `aws-auth maps ${id.canonicalArn} with {{EC2PrivateDNSName}}, which needs an EC2 instance session the sandbox cannot resolve` };
  // A row without a username: the authenticator passes the empty name on; the sandbox names the
  // user by its canonical ARN instead (inferred, not observed).
  return user(id, caller, username || id.canonicalArn, groups as string[], 'aws-auth');
}
