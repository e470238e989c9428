/**
 * The reconcile core shared by the provisioner (one principal, on an event) and the resync
 * (every principal, on a schedule): read IAM and EKS, let the domain compute the
 * difference, apply only that. Level-triggered: the outcome depends on the current tags
 * and entries, never on what an event said changed.
 */
import pLimit from 'p-limit';
import type { DesiredAccess, TagProblem } from '#access/domain/tags';
import type { EntryStyle, PrincipalAccess } from '#access/domain/identity-center';
import type { Principal, PrincipalRef } from '#kernel/principal';
import { ACCESS_ENTRIES_PER_CLUSTER } from '#kernel/quotas';
import { type RuntimeConfig } from '#kernel/config';
import { clusterUnmanagedReason } from '#access/domain/clusters';
import { entriesAdded, planCluster, type Action, type ActualEntry, type GuardContext, type Op } from '#access/domain/entries';
import { parsePrincipalArn, principalKey } from '#kernel/principal';
import { ClusterNotReadyError } from '#access/domain/errors';
import { type EksEntries } from '#access/adapters/entries';
import { EntryExistsError } from '#platform/access-entries';
import type { IamReader } from '#platform/iam-principals';
import type { PermissionSetReader } from '#access/adapters/permission-sets';
import { QuotaGate, type QuotaRefusal } from './quota.ts';
import { accessOfPrincipal, sweepAccess, type SweepAccess } from './access-source.ts';
import type { ExpirySchedules } from '#access/adapters/expiry-schedules';
import { sweepSchedules, syncPrincipalSchedule, type ScheduleOutcome } from './expiry.ts';

export interface ClusterOutcome {
  cluster: string;
  region: string;
  /** `quota-refused`: the grant would have created an entry past the headroom; nothing changed. */
  action: Action | 'cluster-not-ready' | 'quota-refused' | 'error';
  reason: string;
  ops: Op['op'][];
  /** For `quota-refused`: the cluster's entries as counted and the limit they reached. */
  quota?: QuotaRefusal;
  /** For a `revoke` because the principal's `<prefix>-expires` has passed: that expiry, as written. */
  expiredAt?: string;
}

export interface PrincipalOutcome {
  principal: PrincipalRef & { arn?: string };
  /** For an Identity Center role: the permission set whose tags decided its access. */
  permissionSet?: string;
  status: 'reconciled' | 'rejected' | 'ignored';
  reason?: string;
  problems?: TagProblem[];
  clusters: ClusterOutcome[];
  /** The principal's expiry schedule, when the provisioner touched (or would have touched) it. */
  schedule?: ScheduleOutcome;
}

export interface ReconcileDeps {
  iam: IamReader;
  clusters: EksEntries[];
  runtime: RuntimeConfig;
  /** Reads permission sets' tags from the Identity Center instance; wired when `identityCenter.instanceArn` is configured. */
  permissionSets?: PermissionSetReader;
  /**
   * The clock expiries are judged against, read once per principal (provisioner) or per sweep
   * (resync). Injected so that tests and the sandbox move time; default: the system clock.
   */
  now?: () => Date;
  /** The expiry schedules (on-time revocation); absent when they are not deployed, and then only the resync revokes. */
  expirySchedules?: ExpirySchedules;
}

function clock(deps: ReconcileDeps): Date {
  return deps.now ? deps.now() : new Date();
}

function guardContext(runtime: RuntimeConfig): GuardContext {
  return { protectedPrincipalArns: runtime.config.protectedPrincipalArns, systemRoleArns: runtime.systemRoleArns };
}

/**
 * Plans and applies one principal's access on one cluster. When a create finds the entry
 * already there (a concurrent invocation, or a read that raced a write), it re-reads and
 * plans again once: "exists" means compare, not fail. A plan that adds an entry is first held
 * against the cluster's access-entry quota (QuotaGate); updates, replaces and deletes of an
 * existing entry never are.
 */
async function converge(
  eks: EksEntries,
  principal: Principal | null,
  desired: DesiredAccess | null,
  actual: ActualEntry | undefined,
  ctx: GuardContext,
  quota: QuotaGate,
  style: EntryStyle | undefined,
): Promise<ClusterOutcome> {
  const base = { cluster: eks.cluster.name, region: eks.cluster.region };
  const grant = desired?.ok ? (desired.byCluster[eks.cluster.name] ?? null) : null;
  try {
    for (let attempt = 0; ; attempt++) {
      const plan = planCluster({ principal, desired: grant, actual, ctx, style });
      const added = entriesAdded(plan);
      const refused = added > 0 ? await quota.admit(added) : undefined;
      if (refused) {
        return {
          ...base,
          action: 'quota-refused',
          reason: `${plan.reason} refused: the cluster has ${refused.used} access entries, the configured limit is ${refused.limit} (EKS allows ${ACCESS_ENTRIES_PER_CLUSTER} per cluster); nothing changed`,
          ops: [],
          quota: refused,
        };
      }
      try {
        for (const op of plan.ops) await eks.apply(op);
        const ops = plan.ops.map((o) => o.op);
        // A passed expiry is a revoke like any other, said as what it is (report.ts: `access expired`, `Expired`).
        if (plan.action === 'revoke' && principal && desired?.ok && desired.expired) {
          return { ...base, action: 'revoke', reason: `access expired at ${desired.expiresAt}`, ops, expiredAt: desired.expiresAt! };
        }
        return { ...base, action: plan.action, reason: plan.reason, ops };
      } catch (e) {
        if (!(e instanceof EntryExistsError) || attempt > 0 || !principal) throw e;
        actual = (await eks.describe(principal.arn)) ?? undefined;
      }
    }
  } catch (e) {
    if (e instanceof ClusterNotReadyError) return { ...base, action: 'cluster-not-ready', reason: e.message, ops: [] };
    const err = e as Error;
    return { ...base, action: 'error', reason: `${err.name}: ${err.message}`, ops: [] };
  }
}

/**
 * Throws ClusterNotReadyError when access tags must not manage the cluster in its current
 * authentication mode (CONFIG_MAP; API_AND_CONFIG_MAP unless opted in): the caller skips and
 * reports it like a cluster that refuses access entries.
 */
async function assertManaged(eks: EksEntries): Promise<void> {
  const mode = await eks.authenticationMode();
  const reason = clusterUnmanagedReason(eks.cluster, mode);
  if (reason) throw new ClusterNotReadyError(eks.cluster.name, `cluster ${eks.cluster.name} (${eks.cluster.region}) skipped: ${reason}`);
}

/** The entry of a principal on a cluster, found by account and name when the ARN (path) is unknown. */
async function findEntry(eks: EksEntries, ref: PrincipalRef, arn: string | undefined): Promise<ActualEntry | undefined> {
  if (arn) return (await eks.describe(arn)) ?? undefined;
  // DeleteRole/DeleteUser events carry only the name, and the principal is gone, so the
  // path is unknown: find the entry whose ARN names the same principal. A name is unique only
  // within its account; a cluster may hold entries for other accounts' principals of the same
  // name. Without the account no entry is taken for this one: the resync removes an orphan by
  // its exact ARN anyway, while a wrong match could hide the local entry or touch a foreign one.
  if (ref.account === undefined) return undefined;
  const key = principalKey({ kind: ref.kind, name: ref.name, account: ref.account });
  const match = (await eks.listPrincipalArns()).find((a) => {
    const p = parsePrincipalArn(a);
    return p !== undefined && principalKey(p) === key;
  });
  return match ? ((await eks.describe(match)) ?? undefined) : undefined;
}

/**
 * Converges one principal's access on every managed cluster (in parallel, bounded), then its
 * expiry schedule. `now` overrides the clock (the provisioner's for a fired schedule, domain/expiry.ts).
 */
export async function reconcilePrincipal(ref: PrincipalRef, deps: ReconcileDeps, now: Date = clock(deps)): Promise<PrincipalOutcome> {
  const ctx = guardContext(deps.runtime);
  const principal = await deps.iam.getPrincipal(ref);
  const who = { ...ref, ...(principal ? { name: principal.name, arn: principal.arn } : {}) };
  if (principal?.path.startsWith('/aws-service-role/')) {
    return { principal: who, status: 'ignored', reason: 'service-linked role', clusters: [] };
  }
  // An Identity Center role's access comes from its permission set's tags: read once here. A
  // failed read throws (the invocation is retried); it never counts as "no tags".
  const access = principal ? await accessOfPrincipal(principal, deps, now) : null;
  const desired = access?.desired ?? null;
  const set = access?.permissionSet !== undefined ? { permissionSet: access.permissionSet } : {};
  if (desired && !desired.ok) {
    return { principal: who, ...set, status: 'rejected', reason: rejectedReason(access), problems: desired.problems, clusters: [] };
  }
  const limit = pLimit(deps.runtime.config.clusterConcurrency);
  const clusters = await Promise.all(
    deps.clusters.map((eks) =>
      limit(async (): Promise<ClusterOutcome> => {
        try {
          await assertManaged(eks);
          const actual = await findEntry(eks, ref, principal?.arn);
          // One principal, at most one create per cluster: counted only if this plan creates.
          const quota = new QuotaGate(async () => (await eks.listPrincipalArns()).length, deps.runtime.config.accessEntryHeadroomPercent);
          return await converge(eks, principal, desired, actual, ctx, quota, access?.style);
        } catch (e) {
          const err = e as Error;
          if (e instanceof ClusterNotReadyError) {
            return { cluster: eks.cluster.name, region: eks.cluster.region, action: 'cluster-not-ready', reason: err.message, ops: [] };
          }
          return { cluster: eks.cluster.name, region: eks.cluster.region, action: 'error', reason: `${err.name}: ${err.message}`, ops: [] };
        }
      }),
    ),
  );
  const schedule = await syncPrincipalSchedule(ref, principal, desired, deps.expirySchedules);
  return { principal: who, ...set, status: 'reconciled', clusters, ...(schedule ? { schedule } : {}) };
}

function rejectedReason(access: PrincipalAccess | null): string {
  return access?.permissionSet !== undefined ? `invalid access tags on permission set ${access.permissionSet}: nothing changed` : 'invalid access tags: nothing changed';
}

/**
 * One (entry ARN, cluster) pair of the sweep. The snapshot of IAM is minutes old by the time
 * a pair is planned, and the provisioner may have acted on newer tags in between (a tag
 * removed and its entry deleted; a role created, tagged and granted): applying the
 * snapshot's plan would undo that. So the snapshot only decides whether the pair looks
 * drifted; a drifted pair is re-converged from fresh reads (the principal by name, its entry
 * by ARN) exactly as the provisioner would, and only drifted pairs pay those reads.
 */
async function resyncPair(
  eks: EksEntries,
  ref: PrincipalRef,
  arn: string,
  principal: Principal | null,
  access: PrincipalAccess | null,
  actual: ActualEntry | undefined,
  deps: ReconcileDeps,
  sweep: SweepAccess,
  ctx: GuardContext,
  quota: QuotaGate,
): Promise<ClusterOutcome> {
  const base = { cluster: eks.cluster.name, region: eks.cluster.region };
  const desired = access?.desired;
  const grant = desired?.ok ? (desired.byCluster[eks.cluster.name] ?? null) : null;
  const snapshot = planCluster({ principal, desired: grant, actual, ctx, style: access?.style });
  if (!snapshot.ops.length) return { ...base, action: snapshot.action, reason: snapshot.reason, ops: [] };
  try {
    const current = await deps.iam.getPrincipal(ref);
    // The pair is keyed by exact ARN: a principal now living under another path (re-created)
    // leaves this ARN an orphan; its new ARN is its own pair, here or at the next sweep.
    const owner = current?.arn === arn ? current : null;
    // The sweep's one read of the permission sets answers for a re-read Identity Center role too.
    const want = owner ? sweep.of(owner) : null;
    if (owner && !want) {
      const why = sweep.unreadable !== undefined ? `could not be read (${sweep.unreadable})` : 'were not read in this sweep (the role appeared during it)';
      return { ...base, action: 'skip', reason: `its permission set's tags ${why}: nothing changed`, ops: [] };
    }
    if (want && !want.desired.ok) return { ...base, action: 'skip', reason: rejectedReason(want), ops: [] };
    const fresh = (await eks.describe(arn)) ?? undefined;
    return await converge(eks, owner, want?.desired ?? null, fresh, ctx, quota, want?.style);
  } catch (e) {
    const err = e as Error;
    if (e instanceof ClusterNotReadyError) return { ...base, action: 'cluster-not-ready', reason: err.message, ops: [] };
    return { ...base, action: 'error', reason: `${err.name}: ${err.message}`, ops: [] };
  }
}

export interface ResyncSummary {
  principals: number;
  rejected: PrincipalOutcome[];
  outcomes: PrincipalOutcome[];
  clustersNotReady: string[];
  /** Why each of `clustersNotReady` was skipped, by its label. */
  notReadyReasons: Record<string, string>;
  failedClusters: string[];
  /** What the sweep did to the expiry schedules (created, moved, orphans deleted, failures); unchanged ones are left out. */
  schedules: ScheduleOutcome[];
  /**
   * Set when the Identity Center instance could not be read: the reason, and the roles whose
   * access depends on it, which this sweep left untouched.
   */
  identityCenterUnreadable?: { reason: string; roles: string[] };
}

/**
 * The full sweep: every IAM principal against every managed cluster's entries, repairing
 * drift both ways (missing grants; managed entries whose principal is gone or untagged).
 * Identity Center roles are among the principals (the listing holds every role, whatever its
 * path); their permission sets' tags are read once per sweep (access-source.ts, sweepAccess).
 * Only principals with access tags or an entry on the cluster are planned; a cluster that
 * is in sync costs reads only. A pair that the snapshot shows drifted is re-read before
 * anything is written (see resyncPair).
 */
export async function resyncAll(deps: ReconcileDeps, entryConcurrency = 10): Promise<ResyncSummary> {
  const ctx = guardContext(deps.runtime);
  // One clock reading for the whole sweep: every pair judges an expiry alike.
  const now = clock(deps);
  // Keyed by exact ARN: an entry whose ARN is no current principal's (deleted, or re-created
  // under another path) is an orphan, whatever its name.
  const listed: Principal[] = [];
  for await (const p of deps.iam.listPrincipals()) listed.push(p);
  // Every permission set's tags, read once for the whole sweep (only if an Identity Center role needs them).
  const sweep = await sweepAccess(listed, deps, now);
  // An Identity Center role whose set's tags could not be read keeps `access` undefined: it is
  // listed (so its entries are not taken for orphans) but never planned.
  const principals = new Map<string, { principal: Principal; access: PrincipalAccess | undefined }>(listed.map((p) => [p.arn, { principal: p, access: sweep.of(p) }]));
  const unknown = [...principals.values()].filter(({ access }) => !access).map(({ principal }) => principal.arn);

  const rejected: PrincipalOutcome[] = [...principals.values()].flatMap(({ principal, access }) =>
    access && !access.desired.ok
      ? [
          {
            principal: { kind: principal.kind, name: principal.name, arn: principal.arn },
            ...(access.permissionSet !== undefined ? { permissionSet: access.permissionSet } : {}),
            status: 'rejected' as const,
            reason: rejectedReason(access),
            problems: access.desired.problems,
            clusters: [],
          },
        ]
      : [],
  );

  const byPrincipal = new Map<string, PrincipalOutcome>();
  const outcomeFor = (ref: PrincipalRef & { arn: string }, permissionSet?: string): PrincipalOutcome => {
    let o = byPrincipal.get(ref.arn);
    if (!o) byPrincipal.set(ref.arn, (o = { principal: ref, ...(permissionSet !== undefined ? { permissionSet } : {}), status: 'reconciled', clusters: [] }));
    return o;
  };

  const clustersNotReady: string[] = [];
  const notReadyReasons: Record<string, string> = {};
  const failedClusters: string[] = [];
  const clusterLimit = pLimit(deps.runtime.config.clusterConcurrency);
  await Promise.all(
    deps.clusters.map((eks) =>
      clusterLimit(async () => {
        let entries: Map<string, ActualEntry>;
        let quota: QuotaGate;
        try {
          await assertManaged(eks);
          const entryLimit = pLimit(entryConcurrency);
          const arns = await eks.listPrincipalArns();
          // The sweep lists the cluster anyway: that count is the quota's starting point, and the
          // gate adds this sweep's creates, so the pairs below never list again.
          quota = new QuotaGate(async () => arns.length, deps.runtime.config.accessEntryHeadroomPercent, arns.length);
          const described = await Promise.all(arns.map((a) => entryLimit(() => eks.describe(a))));
          entries = new Map(described.filter((e): e is ActualEntry => e !== null).map((e) => [e.principalArn, e]));
        } catch (e) {
          const label = `${eks.cluster.name} (${eks.cluster.region})`;
          (e instanceof ClusterNotReadyError ? clustersNotReady : failedClusters).push(label);
          if (e instanceof ClusterNotReadyError) notReadyReasons[label] = e.message;
          return;
        }
        const work: Array<() => Promise<void>> = [];
        for (const [arn, { principal, access }] of principals) {
          if (!access?.desired.ok) continue;
          const actual = entries.get(arn);
          if (!actual && !access.desired.byCluster[eks.cluster.name]) continue;
          work.push(async () => {
            const o = await resyncPair(eks, principal, arn, principal, access, actual, deps, sweep, ctx, quota);
            if (o.action !== 'noop') outcomeFor(principal, access.permissionSet).clusters.push(o);
          });
        }
        for (const [arn, actual] of entries) {
          if (principals.has(arn)) continue;
          const ref = parsePrincipalArn(arn);
          if (!ref) continue;
          work.push(async () => {
            const o = await resyncPair(eks, { kind: ref.kind, name: ref.name }, arn, null, null, actual, deps, sweep, ctx, quota);
            if (o.action !== 'noop') outcomeFor({ kind: ref.kind, name: ref.name, arn }).clusters.push(o);
          });
        }
        const opLimit = pLimit(entryConcurrency);
        await Promise.all(work.map((w) => opLimit(w)));
      }),
    ),
  );

  // After the entries: an expired grant is revoked above whether or not its schedule fired.
  const schedules = await sweepSchedules(principals.values(), deps, sweep, entryConcurrency);

  return {
    principals: principals.size,
    rejected,
    outcomes: [...byPrincipal.values()],
    clustersNotReady,
    notReadyReasons,
    failedClusters,
    schedules,
    ...(sweep.unreadable !== undefined ? { identityCenterUnreadable: { reason: sweep.unreadable, roles: unknown } } : {}),
  };
}
