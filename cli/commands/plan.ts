/**
 * `eks-access-pilot plan --aws-auth FILE [--json]`: the conversion plan for an aws-auth
 * ConfigMap, offline. Role ARN paths and the Identity Center roles of `sso` rows are not looked
 * up here (no IAM access); the migration workflow looks them up. Warnings (data keys the
 * authenticator ignores, what a converted row changes) are printed under their row and listed
 * after the counts; they never block. Exit codes: 0 valid plan (flags and blockers included),
 * 1 malformed ConfigMap or unreadable file, 2 usage error.
 */
import { readFile } from 'node:fs/promises';
import { parseAwsAuth } from '#migration/domain/aws-auth';
import { planConversion } from '#migration/domain/conversion';
import type { ConversionPlan, PlanRow } from '#migration/domain/conversion';
import { UsageError, type Command, type CommandIO } from '../lib/command.ts';
import { parseCommandArgs, required, usageError } from '../lib/args.ts';
import { policyText, table } from '../lib/format.ts';

const USAGE = 'eks-access-pilot plan --aws-auth FILE [--json]';

interface Args {
  file: string;
  json: boolean;
}

function parse(args: string[]): Args {
  const { values } = parseCommandArgs(args, { 'aws-auth': { type: 'string' }, json: { type: 'boolean', default: false } }, []);
  return { file: required(values['aws-auth'], '--aws-auth FILE'), json: values.json };
}

function describeEntry(row: PlanRow): string {
  const parts: string[] = [row.entry.type];
  if (row.entry.username) parts.push(`username=${row.entry.username}`);
  if (row.entry.kubernetesGroups?.length) parts.push(`groups=${row.entry.kubernetesGroups.join(',')}`);
  for (const p of row.entry.accessPolicies ?? []) parts.push(`policy=${policyText(p)}`);
  return parts.join(' ');
}

function printText(plan: ConversionPlan, file: string, io: CommandIO): void {
  const counts = { create: 0, 'eks-managed': 0, flag: 0 };
  for (const r of plan.rows) counts[r.action]++;
  io.out(`Conversion plan for ${file}`);
  io.out('');
  if (plan.rows.length === 0) io.out('(aws-auth maps nobody)');
  else {
    const lines = table([
      ['SOURCE', 'ACTION', 'PRINCIPAL', 'ENTRY'],
      ...plan.rows.map((r) => [r.source, r.action, r.principalArn, describeEntry(r)]),
    ]);
    io.out(lines[0]!);
    plan.rows.forEach((r, i) => {
      io.out(lines[i + 1]!);
      for (const n of r.notes) io.out(`    - ${n}`);
      for (const w of r.warnings ?? []) io.out(`    ! warning: ${w}`);
    });
  }
  io.out('');
  io.out(`${plan.rows.length} rows: ${counts.create} to create, ${counts['eks-managed']} created by EKS, ${counts.flag} flagged`);
  const warnings = plan.warnings ?? [];
  if (warnings.length > 0) {
    io.out(`${warnings.length} warning(s) — they block nothing, but read them:`);
    for (const w of warnings) io.out(`  ! ${w.where}: ${w.message}`);
  }
  if (plan.blockers.length === 0) {
    io.out('No blockers: the switch to API keeps everyone\'s current access once these entries exist.');
  } else {
    io.out(`${plan.blockers.length} blocker(s) — do not switch to API until they are resolved:`);
    for (const b of plan.blockers) io.out(`  * ${b}`);
  }
}

export const command: Command = {
  usage: `${USAGE}\n\n  --aws-auth FILE  output of kubectl get configmap aws-auth -n kube-system -o yaml (or -o json)\n  --json           print the plan as JSON: {"valid","errors","warnings","rows","blockers"}`,
  async run(args, io) {
    let parsed: Args;
    try {
      parsed = parse(args);
    } catch (e) {
      if (e instanceof UsageError) return usageError(io, USAGE, e.message);
      throw e;
    }
    let text: string;
    try {
      text = await readFile(parsed.file, 'utf8');
    } catch (error) {
      io.err(`cannot read ${parsed.file}: ${error instanceof Error ? error.message : String(error)}`);
      return 1;
    }
    const plan = planConversion(parseAwsAuth(text));
    if (parsed.json) {
      const { valid, errors, warnings = [], rows, blockers } = plan;
      io.out(JSON.stringify({ valid, errors, warnings, rows, blockers }, null, 2));
      return valid ? 0 : 1;
    }
    if (!plan.valid) {
      io.err(`${parsed.file} is not a valid aws-auth ConfigMap:`);
      for (const e of plan.errors) io.err(`  ${e.where}: ${e.message}`);
      for (const w of plan.warnings ?? []) io.err(`  warning: ${w.where}: ${w.message}`);
      return 1;
    }
    printText(plan, parsed.file, io);
    return 0;
  },
};
