/**
 * `eks-access-pilot access-report --cluster NAME --region R [--creator ARN]... [--headroom PERCENT] [--json]`:
 * every access entry of a cluster (principal, type, username, groups, policies and scope), who
 * owns it: this system (with its source), EKS (node and Fargate entries, the creator), or
 * someone else, and how much of EKS's quota of 3,000 entries per cluster they use (marked once
 * the count reaches the headroom past which the provisioner refuses new grants). Reads with the same adapter the migration's backup uses (every entry, every
 * policy, all pages of ListAccessEntries and ListAssociatedAccessPolicies). For each entry granted
 * by a principal's own tags (source `tag`), the principal's current expiry (`until <instant>`).
 *
 * Exit codes: 0 report printed (also for a CONFIG_MAP cluster, which has no access entries);
 * 1 the cluster cannot be read (not found, no permission, …); 2 usage error.
 */
import { eksClient, iamClient } from '#platform/clients';
import { iamReader, type IamReader } from '#platform/iam-principals';
import { expiryKey, hasPassed, parseExpiry } from '#access/domain/expiry';
import { TAG_SOURCE } from '#kernel/ownership';
import { parsePrincipalArn } from '#kernel/principal';
import { accessEntries } from '#platform/access-entries';
import { ClusterNotFoundError, describeCluster } from '#platform/clusters';
import type { EntrySnapshot } from '#workflows/contract';
import { MigrationInputSchema } from '#migration/domain/input';
import { ConfigSchema, formatIssues } from '#kernel/config';
import { accessEntryUsage, type AccessEntryUsage } from '#kernel/quotas';
import { EXIT, UsageError, type Command, type CommandIO } from '../lib/command.ts';
import { parseCommandArgs, required, usageError } from '../lib/args.ts';
import { errorText, policyText, table } from '../lib/format.ts';
import { entryOwnership, ownerText, type Ownership } from '../lib/ownership.ts';

const USAGE = 'eks-access-pilot access-report --cluster NAME --region R [--creator ARN]... [--headroom PERCENT] [--tag-prefix P] [--json]';

// The headroom is validated and defaulted by the configuration's own field schema, so the report
// marks a cluster exactly where a deployment configured the same way refuses new grants.
const HeadroomSchema = ConfigSchema.shape.accessEntryHeadroomPercent;

/** A tag-granted entry's expiry, from its principal's current `<prefix>-expires` tag. */
export interface EntryExpiry {
  value: string;
  /** `future`: access until then; `passed`: revocation due (schedule or resync); `invalid`: the provisioner refuses the principal's tags. */
  state: 'future' | 'passed' | 'invalid';
}

export interface ReportEntry extends EntrySnapshot, Ownership {
  expiry?: EntryExpiry;
}

export interface AccessReport {
  cluster: { name: string; region: string; authenticationMode: string; bootstrapClusterCreatorAdminPermissions: boolean | null };
  entries: ReportEntry[];
  owners: Record<string, number>;
  /** Entries used of EKS's 3,000 per cluster, and whether the provisioner's headroom is reached. */
  quota: AccessEntryUsage;
  notes: string[];
}

/**
 * The expiry of each entry the tag side granted from a principal's own tags: one GetRole/GetUser
 * per such entry, and only for those. Entries this system does not own are never looked up (their
 * principal's tags mean nothing for them), nor are migration entries (not bound by tags) or
 * Identity Center entries, whose tags are their permission set's, in another account. A read that
 * fails leaves the entry without an expiry and adds a note; the report is still printed.
 */
async function entryExpiries(entries: ReportEntry[], iam: IamReader, prefix: string, now: Date, notes: string[]): Promise<void> {
  const key = expiryKey(prefix).toLowerCase();
  const unread: string[] = [];
  for (const e of entries) {
    if (e.owner !== 'eks-access-pilot' || e.source !== TAG_SOURCE) continue;
    const ref = parsePrincipalArn(e.principalArn);
    if (!ref) continue;
    let tags: Record<string, string>;
    try {
      tags = (await iam.getPrincipal(ref))?.tags ?? {};
    } catch (err) {
      unread.push(`${e.principalArn} (${errorText(err)})`);
      continue;
    }
    const value = Object.entries(tags).find(([k]) => k.toLowerCase() === key)?.[1];
    if (value === undefined) continue;
    const parsed = parseExpiry(value);
    e.expiry = { value, state: !parsed.ok ? 'invalid' : hasPassed(parsed.at, now) ? 'passed' : 'future' };
  }
  if (unread.length) notes.push(`could not read the tags of ${unread.length} principal(s), so their expiry is not shown: ${unread.join(', ')}`);
}

function expiryText(x: EntryExpiry | undefined): string {
  if (!x) return '';
  if (x.state === 'future') return ` until ${x.value}`;
  if (x.state === 'passed') return ` expired ${x.value} (revocation due)`;
  return ` invalid expiry ${JSON.stringify(x.value)}`;
}

async function report(name: string, region: string, creatorArns: string[], headroomPercent: number, prefix: string): Promise<AccessReport> {
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
  const entries: ReportEntry[] = snapshots.map((e) => ({ ...e, ...entryOwnership(e, { creatorArns, creatorBootstrapped: bootstrapped === true }) }));
  await entryExpiries(entries, iamReader(iamClient(region)), prefix, new Date(), notes);
  const owners: Record<string, number> = { 'eks-access-pilot': 0, eks: 0, other: 0 };
  for (const e of entries) owners[e.owner] = (owners[e.owner] ?? 0) + 1;
  const quota = accessEntryUsage(entries.length, headroomPercent);
  if (quota.atHeadroom) {
    notes.push(
      `${quota.used} of ${quota.quota} access entries: at the ${quota.headroomPercent} % headroom (${quota.limit}), the tag provisioner refuses new grants on this cluster (QuotaRefused); the quota cannot be raised, so remove entries nobody uses`,
    );
  }
  return { cluster: { name, region, authenticationMode: mode, bootstrapClusterCreatorAdminPermissions: bootstrapped ?? null }, entries, owners, quota, notes };
}

const count = (n: number) => n.toLocaleString('en-US');

/** `entries used / 3,000`, with a `!` once the provisioner's headroom is reached. */
function quotaText(q: AccessEntryUsage): string {
  const mark = q.atHeadroom ? ' !' : '';
  return `quota: ${count(q.used)} / ${count(q.quota)} access entries per cluster${mark} (new grants stop at ${count(q.limit)}, the ${q.headroomPercent} % headroom)`;
}

function printText(r: AccessReport, io: CommandIO): void {
  io.out(`Cluster ${r.cluster.name} (${r.cluster.region}), authentication mode ${r.cluster.authenticationMode}: ${r.entries.length} access entr${r.entries.length === 1 ? 'y' : 'ies'}`);
  if (r.cluster.authenticationMode !== 'CONFIG_MAP') io.out(quotaText(r.quota));
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
        ownerText(e) + expiryText(e.expiry),
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
  headroom: number;
  prefix: string;
  json: boolean;
}

function parse(args: string[]): Args {
  const { values } = parseCommandArgs(
    args,
    {
      cluster: { type: 'string' },
      region: { type: 'string' },
      creator: { type: 'string', multiple: true },
      headroom: { type: 'string' },
      'tag-prefix': { type: 'string' },
      json: { type: 'boolean', default: false },
    },
    [],
  );
  const name = required(values.cluster, '--cluster NAME');
  const region = required(values.region, '--region R');
  // The same rules the migration input applies to a cluster name and a region.
  const check = MigrationInputSchema.pick({ clusterName: true, region: true }).safeParse({ clusterName: name, region });
  if (!check.success) throw new UsageError(formatIssues(check.error).replace('clusterName:', '--cluster:').replace('region:', '--region:'));
  const headroom = HeadroomSchema.safeParse(values.headroom === undefined ? undefined : Number(values.headroom));
  if (!headroom.success) throw new UsageError(formatIssues(headroom.error, '--headroom'));
  const prefix = ConfigSchema.shape.tagPrefix.safeParse(values['tag-prefix']);
  if (!prefix.success) throw new UsageError(formatIssues(prefix.error, '--tag-prefix'));
  return { name, region, creators: values.creator ?? [], headroom: headroom.data, prefix: prefix.data, json: values.json };
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
    r = await report(name, region, a.creators, a.headroom, a.prefix);
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
  --headroom P    the deployment's accessEntryHeadroomPercent (default 95): the report marks the cluster
                  with ! once its entries reach P % of EKS's 3,000 per cluster, where new grants stop
  --tag-prefix P  the deployment's tagPrefix (default eks-access): an entry granted by its principal's tags shows
                  "until <instant>" from the principal's <prefix>-expires tag (read with iam:GetRole/GetUser)
  --json          {"cluster","entries":[{principalArn,type,username,kubernetesGroups,tags,policies,owner,source,note,expiry}],"owners",
                   "quota":{used,quota,headroomPercent,limit,atHeadroom},"notes"}

Owners: eks-access-pilot (tag managed-by=eks-access-pilot; source "tag" or "migration/<execution>"),
eks (node and Fargate entry types, the --creator), other (everything else: never touched by this system).`,
  run,
};
