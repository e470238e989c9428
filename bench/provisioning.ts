/**
 * Provisioning benchmarks on the HTTP sandbox (the real SDK clients, signing, serialisation
 * and retries against the sandbox's model of IAM and EKS):
 *  1. API calls per event — a no-op and a grant, with 1, 3 and 10 managed clusters;
 *  2. fan-out — one event's wall time with 50 ms per call, 10 clusters vs 1;
 *  3. resync at scale — 5,000 principals, 10 clusters, 2% drift, under a per-API rate limit.
 */
import { EKSClient, type EKSClientConfig } from '@aws-sdk/client-eks';
import { IAMClient } from '@aws-sdk/client-iam';
import { RETRY, SWEEP_RETRY } from '#platform/clients';
import { eksEntries } from '#access/adapters/entries';
import { iamReader } from '#platform/iam-principals';
import { parseConfig, type RuntimeConfig } from '#kernel/config';
import { ownershipTags } from '#kernel/ownership';
import { reconcilePrincipal, resyncAll, type ReconcileDeps } from '#access/reconcile';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { median, type Row } from './table.ts';

const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [] });
const VIEW = 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy';
const REGIONS = ['eu-west-1', 'us-east-1'];

export function clustersOf(n: number) {
  return Array.from({ length: n }, (_, i) => ({ name: `c${String(i + 1).padStart(2, '0')}`, region: REGIONS[i % REGIONS.length]! }));
}

/** The SDK's retry options a client is built with (the system's `RETRY`, or a bench's alternative). */
export type RetryOptions = Pick<EKSClientConfig, 'retryMode' | 'maxAttempts' | 'retryStrategy'>;

/**
 * Fresh clients per scenario (one warm container's), so one scenario's retry state (quota,
 * rate limiter) does not leak into the next. They sign as a session of the deployed function's
 * role (`ProvisionerRole` or `ResyncRole`), so every call is decided by the app's IAM policies, as
 * in production. `retry` is called once per client: a strategy object holds per-client state.
 */
export function deps(
  sandbox: Sandbox,
  clusterCount: number,
  extra: Partial<Parameters<typeof parseConfig>[0]> = {},
  role = 'ProvisionerRole',
  retry: () => RetryOptions = () => RETRY,
): ReconcileDeps & { destroy(): void } {
  const runtime: RuntimeConfig = { config: parseConfig({ clusters: clustersOf(clusterCount), ...extra }), systemRoleArns: [] };
  const roleName = [...sandbox.iam!.app.roles.keys()].find((n) => n.includes(`TagProvisioning${role}`))!;
  const issued = sandbox.iam!.issueRoleCredentials(roleName, 'bench');
  const creds = { accessKeyId: issued.accessKeyId, secretAccessKey: issued.secretAccessKey, sessionToken: issued.sessionToken };
  const eks = new Map(REGIONS.map((r) => [r, new EKSClient({ region: r, endpoint: sandbox.url, credentials: creds, ...retry() })]));
  const iam = new IAMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: creds, ...retry() });
  return {
    runtime,
    iam: iamReader(iam),
    clusters: runtime.config.clusters.map((c) => eksEntries(c, eks.get(c.region)!)),
    destroy() {
      iam.destroy();
      for (const c of eks.values()) c.destroy();
    },
  };
}

export async function freshSandbox(clusterCount: number): Promise<Sandbox> {
  // IAM enforced: the app synthesized for these clusters, its policies decide every call.
  const sandbox = await startSandbox({ region: 'eu-west-1', iam: { config: { homeRegion: 'eu-west-1', clusters: clustersOf(clusterCount) } } });
  for (const c of clustersOf(clusterCount)) {
    sandbox.model.eks.addCluster({ name: c.name, region: c.region, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' });
  }
  return sandbox;
}

interface Counted {
  reads: Record<string, number>;
  writes: Record<string, number>;
  readTotal: number;
  writeTotal: number;
}

const WRITE_OPS = /^(Create|Delete|Update|Associate|Disassociate|Tag|Untag|Put)/;

function count(sandbox: Sandbox): Counted {
  const reads: Record<string, number> = {};
  const writes: Record<string, number> = {};
  for (const [service, ops] of Object.entries(sandbox.calls())) {
    for (const [op, n] of Object.entries(ops)) {
      const bucket = WRITE_OPS.test(op) ? writes : reads;
      bucket[service] = (bucket[service] ?? 0) + n;
    }
  }
  const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);
  return { reads, writes, readTotal: sum(reads), writeTotal: sum(writes) };
}

const fmt = (r: Record<string, number>) => Object.entries(r).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';

/** 1. API calls per event. */
export async function callsPerEvent(): Promise<Row[]> {
  const rows: Row[] = [];
  for (const n of [1, 3, 10]) {
    const sandbox = await freshSandbox(n);
    const d = deps(sandbox, n);
    try {
      sandbox.model.iam.createRole({ RoleName: 'team-a', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
      sandbox.resetCounts();
      await reconcilePrincipal({ kind: 'role', name: 'team-a' }, d);
      const grant = count(sandbox);
      sandbox.resetCounts();
      await reconcilePrincipal({ kind: 'role', name: 'team-a' }, d);
      const noop = count(sandbox);
      const floor = 1 + 2 * n;
      rows.push({
        scenario: `calls per event, ${n} cluster(s): grant`,
        figure: `reads ${grant.readTotal} (${fmt(grant.reads)}), writes ${grant.writeTotal} (${fmt(grant.writes)})`,
        goal: `writes = ${2 * n} (create + associate per cluster)`,
        met: grant.writeTotal === 2 * n,
      });
      rows.push({
        scenario: `calls per event, ${n} cluster(s): no-op`,
        figure: `reads ${noop.readTotal} (${fmt(noop.reads)}), writes ${noop.writeTotal}; ratio to floor ${(noop.readTotal / floor).toFixed(2)}`,
        goal: `floor ${floor} reads (1 + 2/cluster), 0 writes`,
        met: noop.writeTotal === 0 && noop.readTotal === floor,
      });
    } finally {
      d.destroy();
      await sandbox.stop();
    }
  }
  return rows;
}

/** 2. Fan-out: 50 ms per call, 10 clusters vs 1, median of 5 no-op events each. */
export async function fanOut(): Promise<Row[]> {
  const wall: Record<number, number[]> = {};
  for (const n of [1, 10]) {
    const sandbox = await freshSandbox(n);
    const d = deps(sandbox, n); // default clusterConcurrency (8): 10 clusters take two waves
    try {
      sandbox.model.iam.createRole({ RoleName: 'team-a', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
      await reconcilePrincipal({ kind: 'role', name: 'team-a' }, d); // grant first; measure the steady state
      sandbox.faults.set({ latencyMs: 50 });
      wall[n] = [];
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        await reconcilePrincipal({ kind: 'role', name: 'team-a' }, d);
        wall[n]!.push(performance.now() - t);
      }
    } finally {
      d.destroy();
      await sandbox.stop();
    }
  }
  const one = median(wall[1]!);
  const ten = median(wall[10]!);
  return [
    {
      scenario: 'fan-out: one event, 50 ms per call',
      figure: `1 cluster ${one.toFixed(0)} ms, 10 clusters ${ten.toFixed(0)} ms (min ${Math.min(...wall[10]!).toFixed(0)}, max ${Math.max(...wall[10]!).toFixed(0)}) = ${(ten / one).toFixed(2)}x`,
      goal: '<= 2x',
      met: ten / one <= 2,
    },
  ];
}

/**
 * 3. Resync at scale. 5,000 principals (half roles, half users, a third with paths), 500 of
 * them tagged `eks-access=view` on 10 clusters in two regions; 2% of the 5,000 desired
 * entries drifted: 50 missing (events lost), 50 orphaned managed entries of untagged roles.
 */
export async function resyncAtScale(ratePerSecond: number): Promise<Row[]> {
  const CLUSTERS = 10;
  const sandbox = await freshSandbox(CLUSTERS);
  // As the resync handler builds its clients; BENCH_RESYNC_RETRY=standard measures the alternative.
  const retry = process.env.BENCH_RESYNC_RETRY === 'standard' ? RETRY : SWEEP_RETRY;
  const d = deps(sandbox, CLUSTERS, {}, 'ResyncRole', () => retry);
  try {
    const m = sandbox.model;
    const clusters = d.runtime.config.clusters;
    const tagged: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const isRole = i % 2 === 0;
      const name = `p${String(i).padStart(4, '0')}`;
      const path = i % 3 === 0 ? '/teams/' : '/';
      const tags = i % 10 === 0 ? [{ Key: 'eks-access', Value: 'view' }] : [{ Key: 'team', Value: `t${i % 7}` }];
      const arn = isRole
        ? m.iam.createRole({ RoleName: name, Path: path, AssumeRolePolicyDocument: TRUST, Tags: tags }).Role!.Arn!
        : m.iam.createUser({ UserName: name, Path: path, Tags: tags }).User!.Arn!;
      if (i % 10 === 0) tagged.push(arn);
    }
    // In sync: every tagged principal has its managed entry and policy on every cluster…
    const drifted = { missing: 0, orphaned: 0 };
    tagged.forEach((arn, i) => {
      for (const [ci, c] of clusters.entries()) {
        // …except 50 missing ones (2% drift, first half)
        if (i < 5 && ci < 10) {
          drifted.missing++;
          continue;
        }
        const id = arn.includes(':role/') ? m.iam.getRole({ RoleName: arn.split('/').pop()! }).Role!.RoleId! : m.iam.getUser({ UserName: arn.split('/').pop()! }).User!.UserId!;
        m.eks.createAccessEntry(c.region, { clusterName: c.name, principalArn: arn, tags: ownershipTags({ id }) });
        m.eks.associateAccessPolicy(c.region, { clusterName: c.name, principalArn: arn, policyArn: VIEW, accessScope: { type: 'cluster' } });
      }
    });
    // …and 50 orphaned managed entries of untagged principals (second half of the drift)
    for (let i = 0; drifted.orphaned < 50; i++) {
      const name = `p${String(i * 10 + 1).padStart(4, '0')}`; // odd indices are users without the tag
      const user = m.iam.getUser({ UserName: name }).User!;
      const c = clusters[drifted.orphaned % CLUSTERS]!;
      m.eks.createAccessEntry(c.region, { clusterName: c.name, principalArn: user.Arn!, tags: ownershipTags({ id: user.UserId! }) });
      drifted.orphaned++;
    }
    const drift = drifted.missing + drifted.orphaned;

    sandbox.resetCounts();
    sandbox.faults.set({ throttle: { ratePerSecond } });
    const t = performance.now();
    const summary = await resyncAll(d);
    const seconds = (performance.now() - t) / 1000;
    const counted = count(sandbox);
    const calls = sandbox.calls();
    const throttled = Object.values(sandbox.throttled()).flatMap((o) => Object.values(o)).reduce((a, b) => a + b, 0);
    // The rate limit is per operation: the busiest operation bounds the sweep.
    const perOp = Object.entries(calls).flatMap(([s, ops]) => Object.entries(ops).map(([op, n]) => ({ op: `${s}:${op}`, n })));
    const busiest = perOp.reduce((a, b) => (b.n > a.n ? b : a));
    const bound = busiest.n / ratePerSecond;
    const changed = summary.outcomes.reduce((n, o) => n + o.clusters.filter((c) => c.ops.length > 0).length, 0);
    return [
      {
        scenario: `resync: 5,000 principals x 10 clusters, ${drift} drifted entries`,
        figure: `entries changed ${changed}; writes ${counted.writeTotal} (${fmt(counted.writes)})`,
        goal: `changed = drift (${drift}): ${drifted.missing} creates + associates, ${drifted.orphaned} deletes`,
        met: changed === drift && counted.writeTotal === drifted.missing * 2 + drifted.orphaned,
      },
      {
        scenario: `resync: reads and wall time at ${ratePerSecond} calls/s per API`,
        figure: `reads ${counted.readTotal} (${fmt(counted.reads)}); busiest ${busiest.op} ${busiest.n}; wall ${seconds.toFixed(1)} s vs bound ${bound.toFixed(1)} s = ${(seconds / bound).toFixed(2)}x; throttled ${throttled}`,
        goal: '<= 1.2x the bound (calls / rate)',
        met: seconds / bound <= 1.2,
      },
    ];
  } finally {
    d.destroy();
    await sandbox.stop();
  }
}
