/**
 * `eks-access-pilot access-report --cluster NAME --region R [--creator ARN]... [--json]`:
 * every access entry of a cluster (principal, type, username, groups, policies and scope) and
 * who owns it: this system (with its source), EKS (node and Fargate entries, the creator), or
 * someone else. Reads with the same adapter the migration's backup uses (every entry, every
 * policy, all pages of ListAccessEntries and ListAssociatedAccessPolicies).
 *
 * Exit codes: 0 report printed (also for a CONFIG_MAP cluster, which has no access entries);
 * 1 the cluster cannot be read (not found, no permission, …); 2 usage error.
 */
import { eksClient } from '#platform/clients';
import { accessEntries } from '#platform/access-entries';
import { ClusterNotFoundError, describeCluster } from '#platform/clusters';
import type { EntrySnapshot } from '#workflows/contract';
import { MigrationInputSchema } from '#migration/domain/input';
import { formatIssues } from '#kernel/config';
import { EXIT, UsageError, type Command, type CommandIO } from '../lib/command.ts';
import { parseCommandArgs, required, usageError } from '../lib/args.ts';
import { errorText, policyText, table } from '../lib/format.ts';
import { entryOwnership, type Ownership } from '../lib/ownership.ts';

const USAGE = 'eks-access-pilot access-report --cluster NAME --region R [--creator ARN]... [--json]';

export interface ReportEntry extends EntrySnapshot, Ownership {}

export interface AccessReport {
  cluster: { name: string; region: string; authenticationMode: string; bootstrapClusterCreatorAdminPermissions: boolean | null };
  entries: ReportEntry[];
  owners: Record<string, number>;
  notes: string[];
}

async function report(name: string, region: string, creatorArns: string[]): Promise<AccessReport> {
  const client = eksClient(region);
  const cluster = await describeCluster(client, name);
  const mode = cluster.authenticationMode;
  const bootstrapped = cluster.bootstrapClusterCreatorAdminPermissions;
  const notes: string[] = [];
  let snapshots: EntrySnapshot[] = [];
  if (mode === 'CONFIG_MAP') {
    notes.push('the cluster is in CONFIG_MAP mode: it has no access entries; access is whatever aws-auth maps (kubectl get configmap aws-auth -n kube-system -o yaml, then eks-access-pilot plan --aws-auth FILE)');
  } else {
    snapshots = await accessEntries(client, name).readAll();
    if (mode === 'API_AND_CONFIG_MAP') notes.push('API_AND_CONFIG_MAP mode: aws-auth is still read, so principals mapped there have access too; they are not listed here');
  }
  const entries = snapshots.map((e) => ({ ...e, ...entryOwnership(e, { creatorArns, creatorBootstrapped: bootstrapped === true }) }));
  const owners: Record<string, number> = { 'eks-access-pilot': 0, eks: 0, other: 0 };
  for (const e of entries) owners[e.owner] = (owners[e.owner] ?? 0) + 1;
  return { cluster: { name, region, authenticationMode: mode, bootstrapClusterCreatorAdminPermissions: bootstrapped ?? null }, entries, owners, notes };
}

function ownerText(e: ReportEntry): string {
  if (e.owner === 'eks-access-pilot') return `eks-access-pilot (${e.source})`;
  return e.note ? `${e.owner} (${e.note})` : e.owner;
}

function printText(r: AccessReport, io: CommandIO): void {
  io.out(`Cluster ${r.cluster.name} (${r.cluster.region}), authentication mode ${r.cluster.authenticationMode}: ${r.entries.length} access entr${r.entries.length === 1 ? 'y' : 'ies'}`);
  if (r.entries.length) {
    io.out('');
    for (const line of table([
      ['PRINCIPAL', 'TYPE', 'USERNAME', 'GROUPS', 'POLICIES', 'OWNER'],
      ...r.entries.map((e) => [
        e.principalArn,
        e.type,
        e.username ?? '-',
        e.kubernetesGroups.join(',') || '-',
        e.policies.map(policyText).join(' ') || '-',
        ownerText(e),
      ]),
    ])) io.out(line);
    io.out('');
    io.out(`owners: ${r.owners['eks-access-pilot']} eks-access-pilot, ${r.owners.eks} EKS, ${r.owners.other} someone else`);
  }
  for (const n of r.notes) io.out(`note: ${n}`);
}

interface Args {
  name: string;
  region: string;
  creators: string[];
  json: boolean;
}

function parse(args: string[]): Args {
  const { values } = parseCommandArgs(
    args,
    { cluster: { type: 'string' }, region: { type: 'string' }, creator: { type: 'string', multiple: true }, json: { type: 'boolean', default: false } },
    [],
  );
  const name = required(values.cluster, '--cluster NAME');
  const region = required(values.region, '--region R');
  // The same rules the migration input applies to a cluster name and a region.
  const check = MigrationInputSchema.pick({ clusterName: true, region: true }).safeParse({ clusterName: name, region });
  if (!check.success) throw new UsageError(formatIssues(check.error).replace('clusterName:', '--cluster:').replace('region:', '--region:'));
  return { name, region, creators: values.creator ?? [], json: values.json };
}

async function run(args: string[], io: CommandIO): Promise<number> {
  let a: Args;
  try {
    a = parse(args);
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, USAGE, e.message);
    throw e;
  }
  const { name, region } = a;
  let r: AccessReport;
  try {
    r = await report(name, region, a.creators);
  } catch (e) {
    if (e instanceof ClusterNotFoundError) io.err(`no cluster ${name} in ${region} (${errorText(e)})`);
    else io.err(`cannot read the access entries of ${name} (${region}): ${errorText(e)}`);
    return EXIT.failed;
  }
  if (a.json) io.out(JSON.stringify(r, null, 2));
  else printText(r, io);
  return EXIT.ok;
}

export const command: Command = {
  usage: `${USAGE}

  --cluster NAME  the EKS cluster
  --region R      its region (credentials: the default AWS chain; AWS_ENDPOINT_URL_EKS for the sandbox)
  --creator ARN   the principal that created the cluster (EKS made its entry); repeatable
  --json          {"cluster","entries":[{principalArn,type,username,kubernetesGroups,tags,policies,owner,source,note}],"owners","notes"}

Owners: eks-access-pilot (tag managed-by=eks-access-pilot; source "tag" or "migration/<execution>"),
eks (node and Fargate entry types, the --creator), other (everything else: never touched by this system).`,
  run,
};
