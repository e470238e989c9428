/**
 * `eks-access-pilot doctor [--region HOME] [--config FILE] [--json]`: proves, without changing
 * anything, that a deployment can work — IAM's events reach the provisioner, every role may do what
 * it must and nothing it must not, each managed cluster can take access entries and be migrated,
 * nothing waits in a dead-letter queue, and the deployed version is this checkout's. Every read is
 * guarded: one doctor may not make is a warning naming the permission, never a crash.
 *
 * Exit codes: 0 nothing failed (warnings allowed); 1 a check failed; 2 usage or configuration error.
 */
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ConfigError } from '#kernel/config';
import { EXIT, UsageError, type Command, type CommandIO } from '../lib/command.ts';
import { parseCommandArgs, usageError } from '../lib/args.ts';
import { table } from '../lib/format.ts';
import { guarded, type CheckResult } from '../doctor/check.ts';
import { clusterChecks } from '../doctor/clusters.ts';
import { loadDoctorConfig, readDeployment, stackChecks, type Deployment } from '../doctor/deployment.ts';
import { permissionChecks } from '../doctor/permissions.ts';
import { queueCheck } from '../doctor/queues.ts';
import { ruleCheck } from '../doctor/rules.ts';
import { filterCheck } from '../doctor/filter.ts';
import { trailCheck } from '../doctor/trail.ts';

const USAGE = 'eks-access-pilot doctor [--region HOME] [--config FILE] [--json]';
const HELP = [
  USAGE,
  '',
  '  --region HOME   the home region the app is deployed to (default: the configuration\'s homeRegion; must match it)',
  '  --config FILE   a cdk.json, or the eksAccessPilot object alone (default: EAP_CONFIG if set, else ./cdk.json)',
  '  --json          {"checks": [{"id", "status", "detail", "fix"}], "summary": {"pass", "warn", "fail"}}',
  '',
  'Read-only. Exit 0 when nothing failed, 1 when a check failed, 2 for a bad command line or configuration.',
].join('\n');

export interface DoctorReport {
  checks: CheckResult[];
  summary: { pass: number; warn: number; fail: number };
}

/** Runs every check; the order is the one a person debugging a silent deployment follows. */
export async function runDoctor(configFile: string | undefined, region: string | undefined): Promise<DoctorReport> {
  const { config, source } = loadDoctorConfig(configFile);
  if (region !== undefined && region !== config.homeRegion) {
    throw new UsageError(`--region ${region}: the configuration (${source}) deploys to homeRegion ${config.homeRegion}`);
  }
  const identity = await new STSClient({ region: config.homeRegion }).send(new GetCallerIdentityCommand({}));
  const accountId = identity.Account ?? '';
  const checks: CheckResult[] = [];
  let deployment: Deployment | undefined;
  checks.push(
    ...(await guarded('stacks', 'cloudformation:DescribeStacks and cloudformation:ListStackResources', async () => {
      deployment = await readDeployment(config);
      return stackChecks(deployment);
    })),
  );
  checks.push(...(await trailCheck()));
  if (deployment) {
    checks.push(...(await ruleCheck(deployment, accountId)));
    checks.push(...(await filterCheck(deployment, accountId)));
    checks.push(...(await permissionChecks(deployment, accountId)));
    checks.push(...(await clusterChecks(deployment, accountId)));
    checks.push(...(await queueCheck(deployment)));
  }
  const summary = { pass: 0, warn: 0, fail: 0 };
  for (const c of checks) summary[c.status] += 1;
  return { checks, summary };
}

function printText(r: DoctorReport, io: CommandIO): void {
  const rows: string[][] = [['CHECK', 'STATUS', 'DETAIL']];
  for (const c of r.checks) {
    rows.push([c.id, c.status === 'fail' ? 'FAIL' : c.status, c.detail]);
    if (c.fix) rows.push(['', '', `fix: ${c.fix}`]);
  }
  for (const line of table(rows)) io.out(line);
  const { fail, warn } = r.summary;
  io.out(fail || warn ? `${fail} failed, ${warn} warning${warn === 1 ? '' : 's'}` : `all ${r.checks.length} checks passed`);
}

export const command: Command = {
  usage: HELP,
  async run(args, io) {
    let values;
    try {
      ({ values } = parseCommandArgs(args, { region: { type: 'string' }, config: { type: 'string' }, json: { type: 'boolean' } }, []));
    } catch (e) {
      if (e instanceof UsageError) return usageError(io, USAGE, e.message);
      throw e;
    }
    let report: DoctorReport;
    try {
      report = await runDoctor(values.config, values.region);
    } catch (e) {
      if (e instanceof UsageError) return usageError(io, USAGE, e.message);
      if (e instanceof ConfigError) {
        io.err(e.message);
        return EXIT.usage;
      }
      throw e;
    }
    if (values.json) io.out(JSON.stringify(report, null, 2));
    else printText(report, io);
    return report.summary.fail > 0 ? EXIT.failed : EXIT.ok;
  },
};
