/**
 * Check "cluster <name> (<region>)", one per managed cluster: ACTIVE, versions that support access
 * entries, the authentication mode, entries used of EKS's 3,000, protected principals with an
 * entry; and while aws-auth is still read (CONFIG_MAP, API_AND_CONFIG_MAP), whether the
 * migration's Kubernetes role is mapped there — read as the person running doctor, who may not be
 * let in: then a warning with the exact row and RBAC to add, as the workflow's "Describe cluster"
 * prints them.
 */
import { EKSClient } from '@aws-sdk/client-eks';
import { accessEntries } from '#platform/access-entries';
import { ClusterNotFoundError, describeCluster, type ClusterDescription } from '#platform/clusters';
import { partitionOf } from '#kernel/partition';
import { ACCESS_ENTRIES_PER_CLUSTER } from '#kernel/quotas';
import { accessEntriesUnsupported } from '#migration/domain/modes';
import { parseAwsAuth } from '#migration/domain/aws-auth';
import { KubernetesAccessError, awsAuthStore, coreApi } from '#migration/adapters/aws-auth-store';
import { configMapText } from '#migration/tasks/plan';
import { WORKFLOW_GROUP, accessRowFor } from '#migration/tasks/describe-cluster';
import { MAIN_STACK_NAME, migrationStackName } from '#infra/stacks/index';
import { ROLE_KINDS } from '#infra/authorization/cases';
import { errorText } from '../lib/format.ts';
import { fail, guarded, pass, warn, type CheckResult } from './check.ts';
import { physical, type Deployment } from './deployment.ts';

const MASTERS = 'system:masters';

/** The migration's Kubernetes role for clusters of `region`: the home stack's, or the region's own stack's. */
function workflowRoleName(d: Deployment, region: string): string | undefined {
  const stackName = region === d.config.homeRegion ? MAIN_STACK_NAME : migrationStackName(region);
  const stack = d.stacks.find((s) => s.expected.name === stackName);
  return stack && physical(stack, 'AWS::IAM::Role', ROLE_KINDS.kubernetes)?.physicalId;
}

/** Whether aws-auth maps the role (rows match the path-less ARN, any case: aws-iam-authenticator pkg/arn Canonicalize). */
async function awsAuthFinding(c: ClusterDescription, region: string, roleArn: string, accountId: string, roleName: string): Promise<{ ok: boolean; text: string; fix?: string }> {
  const row = accessRowFor(`arn:${partitionOf(region)}:sts::${accountId}:assumed-role/${roleName}/doctor`);
  let snapshot;
  try {
    snapshot = await awsAuthStore(await coreApi({ clusterName: c.name, region, endpoint: c.endpoint, caData: c.caData })).read();
  } catch (e) {
    if (!(e instanceof KubernetesAccessError)) throw e;
    return { ok: false, text: `aws-auth not readable by doctor (${errorText(e)}), so the workflow's row could not be checked`, fix: `if the workflow's role is not mapped yet, ${row}` };
  }
  const doc = parseAwsAuth(configMapText(snapshot.data, snapshot.resourceVersion));
  const mapped = doc.rows.find((r) => r.list === 'mapRoles' && r.arn.toLowerCase() === roleArn.toLowerCase() && !r.overriddenBy);
  if (!doc.valid) return { ok: false, text: `aws-auth is malformed (${doc.errors[0]?.where}: ${doc.errors[0]?.message})`, fix: 'eks-access-pilot plan --aws-auth FILE names every problem; fix aws-auth before migrating' };
  if (!mapped) return { ok: false, text: `the workflow's role ${roleName} is not in aws-auth: a migration would stop at Describe cluster`, fix: row };
  const groups = mapped.groups;
  if (!groups.includes(MASTERS) && !groups.includes(WORKFLOW_GROUP)) {
    return { ok: false, text: `the workflow's role is mapped with groups ${groups.join(', ') || '(none)'}, neither ${WORKFLOW_GROUP} nor ${MASTERS}`, fix: row };
  }
  return { ok: true, text: `workflow role mapped in aws-auth (${groups.includes(MASTERS) ? MASTERS : `${WORKFLOW_GROUP}; its RBAC is not checked`})` };
}

export function clusterChecks(d: Deployment, accountId: string): Promise<CheckResult[]> {
  return Promise.all(
    d.config.clusters.map(async (cl) => {
      const id = `cluster ${cl.name} (${cl.region})`;
      const [r] = await guarded(id, 'eks:DescribeCluster and eks:ListAccessEntries', async () => {
        // Its own client, not the functions' cached one: each doctor run reads with the credentials it is given.
        const client = new EKSClient({ region: cl.region });
        let c: ClusterDescription;
        try {
          c = await describeCluster(client, cl.name);
        } catch (e) {
          if (e instanceof ClusterNotFoundError) return fail(id, 'does not exist', `create it, or remove it from the configuration's clusters and redeploy`);
          throw e;
        }
        if (c.status !== 'ACTIVE') return warn(id, `status ${c.status}`, 'wait for the update to finish (aws eks list-updates), then run doctor again');
        const unsupported = accessEntriesUnsupported(c.version, c.platformVersion);
        if (unsupported) return fail(id, unsupported, 'upgrade the cluster (EKS User Guide, "Update existing cluster to new Kubernetes version")');
        const parts = [`${c.authenticationMode} mode`];
        if (c.authenticationMode !== 'CONFIG_MAP') {
          const arns = await accessEntries(client, cl.name).listPrincipalArns();
          parts.push(`${arns.length}/${ACCESS_ENTRIES_PER_CLUSTER} entries`);
          const present = d.config.protectedPrincipalArns.filter((p) => arns.includes(p)).length;
          if (d.config.protectedPrincipalArns.length) parts.push(`${present} of ${d.config.protectedPrincipalArns.length} protected principals have entries`);
        }
        if (c.authenticationMode === 'API') return pass(id, parts.join('; '));
        const roleName = workflowRoleName(d, cl.region);
        if (!roleName) return warn(id, `${parts.join('; ')}; the migration stack for ${cl.region} is not deployed`, 'npx cdk deploy --all');
        const roleArn = `arn:${partitionOf(cl.region)}:iam::${accountId}:role/${roleName}`;
        const f = await awsAuthFinding(c, cl.region, roleArn, accountId, roleName);
        parts.push(f.text);
        return f.ok ? pass(id, parts.join('; ')) : warn(id, parts.join('; '), f.fix!);
      });
      return r!;
    }),
  );
}
