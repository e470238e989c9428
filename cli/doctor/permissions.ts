/**
 * Check "role: …", one per deployed role: asks IAM, with iam:SimulatePrincipalPolicy against the
 * deployed role, every question of infra/authorization/cases.ts — the calls the role makes must be
 * allowed, the ones the safety invariants forbid must not be. Each call becomes its action,
 * resource ARN and context keys through infra/authorization/requests.ts, the mapping the sandbox
 * authorizes real calls with, so a case means the same thing here and there.
 *
 * SimulatePrincipalPolicy evaluates the role's identity policies and permissions boundary, not
 * SCPs or resource policies (IAM API reference, SimulatePrincipalPolicy): an "allowed" here can
 * still be denied by an SCP, which the fix says.
 */
import { IAMClient, SimulatePrincipalPolicyCommand, type ContextEntry } from '@aws-sdk/client-iam';
import pLimit from 'p-limit';
import { iamRegion, partitionOf, type Partition } from '#kernel/partition';
import { permissionCases, roleKindOf, ROLE_KINDS, type PermissionCase } from '#infra/authorization/cases';
import { authorizationRequests, newEntryArn, type AuthorizationRequest, type ResourceLookup } from '#infra/authorization/requests';
import { MAIN_STACK_NAME, migrationStackName } from '#infra/stacks/index';
import { fail, guarded, pass, type CheckResult } from './check.ts';
import { physical, type Deployment, type DeployedStack } from './deployment.ts';

const LABELS: Record<string, string> = {
  [ROLE_KINDS.provisioner]: 'provisioner',
  [ROLE_KINDS.resync]: 'resync',
  [ROLE_KINDS.kubernetes]: 'migration Kubernetes tasks',
  [ROLE_KINDS.plan]: 'migration plan',
  [ROLE_KINDS.relist]: 'migration re-list',
  [ROLE_KINDS.createEntries]: 'migration create entries',
  [ROLE_KINDS.verify]: 'migration verify',
  [ROLE_KINDS.requestApproval]: 'migration approval request',
  [ROLE_KINDS.report]: 'migration report',
  [ROLE_KINDS.stateMachine]: 'migration state machine',
};

/** What exists, as a case describes it: the call's entry (with its tags) or nothing. */
function lookupFor(c: PermissionCase, accountId: string, partition: Partition): ResourceLookup {
  return {
    cluster: (region, name) => ({ arn: `arn:${partition}:eks:${region}:${accountId}:cluster/${name}`, name, tags: {} }),
    accessEntry: (region, cluster, principalArn) =>
      c.existing ? { arn: newEntryArn({ partition, region, accountId }, cluster, principalArn), tags: c.existing.tags, type: c.existing.type ?? 'STANDARD' } : undefined,
    principal: (kind, name) => `arn:${partition}:iam::${accountId}:${kind}/${name}`,
  };
}

function contextEntries(context: AuthorizationRequest['context']): ContextEntry[] {
  return Object.entries(context).map(([key, v]) => ({
    ContextKeyName: key,
    ContextKeyValues: Array.isArray(v) ? v : [v],
    ContextKeyType: Array.isArray(v) ? 'stringList' : 'string',
  }));
}

interface Verdict {
  c: PermissionCase;
  ok: boolean;
  /** The request and decision that broke the expectation. */
  why?: string;
}

function stackFor(d: Deployment, c: PermissionCase): DeployedStack | undefined {
  const tagSide = c.role === ROLE_KINDS.provisioner || c.role === ROLE_KINDS.resync;
  const name = tagSide || c.call.region === d.config.homeRegion ? MAIN_STACK_NAME : migrationStackName(c.call.region);
  return d.stacks.find((s) => s.expected.name === name);
}

export function permissionChecks(d: Deployment, accountId: string): Promise<CheckResult[]> {
  const partition = partitionOf(d.config.homeRegion);
  return guarded('permissions', 'iam:SimulatePrincipalPolicy', async () => {
    const migrations = d.stacks
      .filter((s) => s.expected.name === MAIN_STACK_NAME || s.expected.name === migrationStackName(s.expected.region))
      .flatMap((s) => {
        const bucket = physical(s, 'AWS::S3::Bucket', 'MigrationBucket');
        const functionArns = [...s.resources]
          .filter(([id, r]) => r.type === 'AWS::Lambda::Function' && id.startsWith('Migration'))
          .map(([, r]) => `arn:${partition}:lambda:${s.expected.region}:${accountId}:function:${r.physicalId}`);
        return bucket ? [{ region: s.expected.region, bucket: bucket.physicalId, functionArns }] : [];
      });
    const cases = permissionCases({ config: d.config, accountId, partition, migrations });
    const iam = new IAMClient({ region: iamRegion(partition) });
    const limit = pLimit(4);

    // Group by deployed role: (stack, role kind) → physical role name.
    const groups = new Map<string, { label: string; roleArn?: string; cases: PermissionCase[] }>();
    for (const c of cases) {
      const stack = stackFor(d, c);
      const role = stack && [...stack.resources].find(([id, r]) => r.type === 'AWS::IAM::Role' && roleKindOf(id) === c.role);
      const label = `role: ${LABELS[c.role] ?? c.role}${stack && stack.expected.name !== MAIN_STACK_NAME ? ` (${stack.expected.region})` : ''}`;
      const g = groups.get(label) ?? { label, roleArn: role ? `arn:${partition}:iam::${accountId}:role/${role[1].physicalId}` : undefined, cases: [] };
      g.cases.push(c);
      groups.set(label, g);
    }

    const results: CheckResult[] = [];
    for (const g of groups.values()) {
      if (!g.roleArn) {
        results.push(fail(g.label, 'the role is not deployed', 'npx cdk deploy --all from this checkout'));
        continue;
      }
      const roleArn = g.roleArn;
      const verdicts = await Promise.all(
        g.cases.map((c) =>
          limit(async (): Promise<Verdict> => {
            const requests = authorizationRequests({ ...c.call, accountId, partition }, lookupFor(c, accountId, partition));
            const decisions = await Promise.all(
              requests.map(async (req) => {
                const out = await iam.send(
                  new SimulatePrincipalPolicyCommand({ PolicySourceArn: roleArn, ActionNames: [req.action], ResourceArns: [req.resource], ContextEntries: contextEntries(req.context) }),
                );
                return { req, decision: out.EvaluationResults?.[0]?.EvalDecision ?? 'implicitDeny' };
              }),
            );
            const refused = decisions.find((x) => x.decision !== 'allowed');
            if (c.expect === 'allowed') {
              return refused ? { c, ok: false, why: `${refused.req.action} ${refused.decision === 'explicitDeny' ? 'explicitly' : 'implicitly'} denied on ${refused.req.resource} (${c.what})` } : { c, ok: true };
            }
            return refused ? { c, ok: true } : { c, ok: false, why: `${c.what} is ALLOWED (${requests.map((r) => r.action).join(', ')} on ${requests[0]?.resource})` };
          }),
        ),
      );
      const needed = verdicts.filter((v) => v.c.expect === 'allowed');
      const forbidden = verdicts.filter((v) => v.c.expect === 'denied');
      const broken = verdicts.filter((v) => !v.ok);
      const counts = `${needed.filter((v) => v.ok).length}/${needed.length} needed calls allowed${forbidden.length ? `; ${forbidden.filter((v) => v.ok).length}/${forbidden.length} forbidden calls denied` : ''}`;
      if (broken.length === 0) {
        results.push(pass(g.label, counts));
      } else {
        const missing = broken.some((v) => v.c.expect === 'allowed');
        results.push(
          fail(
            g.label,
            `${broken.map((v) => v.why).join('; ')} (${counts})`,
            missing
              ? `redeploy from this checkout (npx cdk deploy --all) so the role has this version's policy; if it still fails, a permissions boundary on ${roleArn} denies it`
              : `the deployed policy is not this checkout's: redeploy (npx cdk deploy --all) and do not edit the role's policies by hand (README, "Safety invariants")`,
          ),
        );
      }
    }
    return results;
  });
}
