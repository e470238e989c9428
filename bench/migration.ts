/**
 * Migration cost: state transitions of a full CONFIG_MAP → API run (approval skipped with
 * `approveCutover`, one status check per mode switch so no poll-loop iterations are
 * counted) for an aws-auth of 10, 50 and 200 rows, and the local wall time with waits
 * skipped. Runs the real ASL through the workflow tests' world (test/migration/workflow/world.ts):
 * the sandbox's Step Functions model, the one offline runner, with every task bound to the real
 * handler code on the in-process model; transitions are the `…StateEntered` events of the
 * execution's history.
 */
import '#sandbox/polyfills';
import { CreateRoleCommand } from '@aws-sdk/client-iam';
import { ACCOUNT, CLUSTER, MigrationWorld, REGION, buildMachine, tenRowAwsAuth } from '#test/migration/workflow/world';
import type { Row } from './table.ts';

function awsAuthWithRows(rows: number): { data: Record<string, string>; extraRoles: string[] } {
  const base = tenRowAwsAuth();
  const extraRoles = Array.from({ length: rows - 10 }, (_, i) => `bench-team-${String(i).padStart(3, '0')}`);
  const extra = extraRoles
    .map((name) => `- rolearn: arn:aws:iam::${ACCOUNT}:role/${name}\n  username: ${name}:{{SessionName}}\n  groups:\n    - pod-readers\n`)
    .join('');
  return { data: { ...base, mapRoles: base.mapRoles + extra }, extraRoles };
}

export async function migrationCost(): Promise<Row[]> {
  const machine = buildMachine();
  const rows: Row[] = [];
  for (const n of [10, 50, 200]) {
    const { data, extraRoles } = awsAuthWithRows(n);
    const world = await new MigrationWorld({ model: { updatePolls: 1 }, awsAuth: data }, `bench-${n}`).seed();
    try {
      for (const name of extraRoles) {
        await world.iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }));
      }
      const t = performance.now();
      const run = await world.run(machine, { clusterName: CLUSTER, region: REGION, targetMode: 'API', dryRun: false, approveCutover: true });
      const ms = performance.now() - t;
      if (run.status !== 'SUCCEEDED') throw new Error(`the ${n}-row run failed: ${run.error}: ${run.cause}`);
      let entries = 0;
      let nextToken: string | undefined;
      do {
        const page = world.aws.eks.listAccessEntries(REGION, { clusterName: CLUSTER, maxResults: 100, nextToken });
        entries += page.accessEntries?.length ?? 0;
        nextToken = page.nextToken;
      } while (nextToken);
      rows.push({
        scenario: `migration to API, ${n}-row aws-auth`,
        figure: `${run.transitions} state transitions; ${entries} entries after; local wall ${ms.toFixed(0)} ms (waits skipped)`,
        goal: n === 50 ? '<= 40 transitions' : 'n/a',
        met: n === 50 ? run.transitions <= 40 : 'n/a',
      });
    } finally {
      world.restore();
    }
  }
  return rows;
}
