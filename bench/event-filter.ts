/**
 * The rule's filter over a realistic day (issue 14): the same IAM calls replayed twice against 30
 * managed clusters, once behind the rule as it was (every handled event name) and once behind
 * `iamEventPattern` (only calls that can change access), through the sandbox's EventBridge into
 * the deployed provisioner (a warm Lambda worker signed as its role, IAM enforced).
 *
 * The day, in a seeded random order:
 *  - deployment tools: 1,000 roles created (half with their own tags, none with an access key)
 *    and each deleted later the same day: 2,000 calls;
 *  - 100 unrelated tag changes on team roles (cost-center set or removed);
 *  - 50 access-tag changes on team roles: 15 new grants, 15 level changes, 10 untags,
 *    5 per-cluster overrides, 5 namespace scopes;
 *  - 5 deletions of tagged team roles.
 * Before the day, 60 team roles exist and 40 of them hold `eks-access=view` (granted by a resync).
 * Every call is delivered and handled before the next one (`drain`), so both runs see the same
 * order. Counted: provisioner invocations by kind of event, and the calls the sandbox served.
 */
import { HANDLED_EVENT_NAMES } from '#access/domain/events';
import { iamEventPattern } from '#access/domain/event-filter';
import { EventBridge, type EventPattern } from '#sandbox/eventbridge';
import type { CloudTrailEnvelope } from '#sandbox/cloudtrail';
import type { Sandbox } from '#sandbox/server/index';
import { clustersOf, freshSandbox } from './provisioning.ts';
import type { Row } from './table.ts';

const CLUSTERS = clustersOf(30);
const TRUST = JSON.stringify({ Version: '2012-10-17', Statement: [] });
const PREFIX = 'eks-access';

/** The rule before issue 14: every handled call, whatever it carried. */
const LEGACY_PATTERN: EventPattern = {
  source: ['aws.iam'],
  'detail-type': ['AWS API Call via CloudTrail'],
  detail: { eventSource: ['iam.amazonaws.com'], eventName: [...HANDLED_EVENT_NAMES], errorCode: [{ exists: false }] },
};

type Kind = 'tool' | 'tool-delete' | 'unrelated-tag' | 'access' | 'tagged-delete';
interface Op {
  at: number;
  kind: Kind;
  run: (s: Sandbox) => void;
}

/** mulberry32: a seeded generator, so both runs replay the same day. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const team = (i: number) => `team-${String(i).padStart(2, '0')}`;
const tags = (t: Record<string, string>) => Object.entries(t).map(([Key, Value]) => ({ Key, Value }));

function day(): Op[] {
  const rnd = random(14);
  const ops: Op[] = [];
  for (let i = 0; i < 1000; i++) {
    const name = `app-${i}-ExecutionRole-${(i * 2654435761).toString(36).slice(-8).toUpperCase()}`;
    const created = rnd() * 0.9;
    const own = i % 2 ? tags({ app: `app-${i}`, env: i % 3 ? 'prod' : 'dev' }) : [];
    ops.push({ at: created, kind: 'tool', run: (s) => s.model.iam.createRole({ RoleName: name, AssumeRolePolicyDocument: TRUST, Tags: own }) });
    ops.push({ at: created + rnd() * (1 - created), kind: 'tool-delete', run: (s) => s.model.iam.deleteRole({ RoleName: name }) });
  }
  for (let i = 0; i < 100; i++) {
    const name = team(i % 35); // never one of the five deleted below
    ops.push(
      i % 5 < 3
        ? { at: rnd(), kind: 'unrelated-tag', run: (s) => s.model.iam.tagRole({ RoleName: name, Tags: tags({ 'cost-center': `cc-${i}` }) }) }
        : { at: rnd(), kind: 'unrelated-tag', run: (s) => s.model.iam.untagRole({ RoleName: name, TagKeys: ['cost-center'] }) },
    );
  }
  const access = (i: number, run: (s: Sandbox, name: string) => void) => ops.push({ at: rnd(), kind: 'access', run: (s) => run(s, team(i)) });
  for (let i = 40; i < 55; i++) access(i, (s, n) => s.model.iam.tagRole({ RoleName: n, Tags: tags({ [PREFIX]: 'view' }) }));
  for (let i = 0; i < 15; i++) access(i, (s, n) => s.model.iam.tagRole({ RoleName: n, Tags: tags({ [PREFIX]: 'edit' }) }));
  for (let i = 15; i < 25; i++) access(i, (s, n) => s.model.iam.untagRole({ RoleName: n, TagKeys: [PREFIX] }));
  for (let i = 25; i < 30; i++) access(i, (s, n) => s.model.iam.tagRole({ RoleName: n, Tags: tags({ [`${PREFIX}/c07`]: 'edit' }) }));
  for (let i = 30; i < 35; i++) access(i, (s, n) => s.model.iam.tagRole({ RoleName: n, Tags: tags({ [`${PREFIX}-namespaces`]: `ns-${i}` }) }));
  for (let i = 35; i < 40; i++) ops.push({ at: rnd(), kind: 'tagged-delete', run: (s) => s.model.iam.deleteRole({ RoleName: team(i) }) });
  return ops.sort((a, b) => a.at - b.at);
}

/** What the clusters hold: every entry with its groups, owner tag and policies, in a stable order. */
function accessState(s: Sandbox): string {
  const m = s.model.eks;
  return JSON.stringify(
    CLUSTERS.map((c) =>
      (m.listAccessEntries(c.region, { clusterName: c.name, maxResults: 100 }).accessEntries ?? []).sort().map((arn) => {
        const e = m.describeAccessEntry(c.region, { clusterName: c.name, principalArn: arn }).accessEntry!;
        const policies = (m.listAssociatedAccessPolicies(c.region, { clusterName: c.name, principalArn: arn }).associatedAccessPolicies ?? []).map((p) => [p.policyArn, p.accessScope]);
        return [c.name, arn, e.kubernetesGroups, e.tags?.['managed-by'], policies];
      }),
    ),
  );
}

interface DayRun {
  invocations: Record<Kind, number>;
  calls: Record<string, number>;
  state: string;
  seconds: number;
}

async function replay(pattern: EventPattern): Promise<DayRun> {
  const sandbox = await freshSandbox(CLUSTERS.length);
  try {
    for (let i = 0; i < 60; i++) {
      sandbox.model.iam.createRole({ RoleName: team(i), Path: '/teams/', AssumeRolePolicyDocument: TRUST, Tags: i < 40 ? tags({ [PREFIX]: 'view' }) : [] });
    }
    const lambda = sandbox.lambda!;
    await lambda.invoke(lambda.functionFor('functions/access/resync/handler.ts'), {});
    const provisioner = lambda.functionFor('functions/access/provisioner/handler.ts');
    const ops = day();
    let current: Kind = 'tool';
    const invocations: Record<Kind, number> = { tool: 0, 'tool-delete': 0, 'unrelated-tag': 0, access: 0, 'tagged-delete': 0 };
    const bus = new EventBridge(
      (event: CloudTrailEnvelope) => {
        invocations[current]++;
        return lambda.invoke(provisioner, event);
      },
      { pattern, retryDelayMs: 5 },
    );
    bus.connect(sandbox.model.iam);
    sandbox.resetCounts();
    const t = performance.now();
    for (const op of ops) {
      current = op.kind;
      op.run(sandbox);
      await bus.drain();
    }
    const seconds = (performance.now() - t) / 1000;
    if (bus.deadLetters.length) throw new Error(`${bus.deadLetters.length} dead letters: ${bus.deadLetters[0]!.error.message}`);
    const calls = Object.fromEntries(Object.entries(sandbox.calls()).map(([service, byOp]) => [service, Object.values(byOp).reduce((a, b) => a + b, 0)]));
    return { invocations, calls, state: accessState(sandbox), seconds };
  } finally {
    await sandbox.stop();
  }
}

const per1000 = (n: number, of: number) => ((n * 1000) / of).toFixed(0);

export async function eventFilterDay(): Promise<Row[]> {
  const before = await replay(LEGACY_PATTERN);
  const after = await replay(iamEventPattern(PREFIX) as unknown as EventPattern);
  const unrelated = (r: DayRun) => r.invocations.tool + r.invocations['unrelated-tag'];
  const total = (r: DayRun) => Object.values(r.invocations).reduce((a, b) => a + b, 0);
  const eks = (r: DayRun) => r.calls.eks ?? 0;
  const iam = (r: DayRun) => r.calls.iam ?? 0;
  return [
    {
      scenario: 'event filter: invocations per 1,000 unrelated IAM events (1,000 tool-made roles created, 100 unrelated tag changes)',
      figure: `before ${per1000(unrelated(before), 1100)}, after ${per1000(unrelated(after), 1100)}`,
      goal: '0',
      met: unrelated(after) === 0,
    },
    {
      scenario: 'event filter: a day of IAM events, 30 clusters — provisioner invocations',
      figure:
        `before ${total(before)}, after ${total(after)} (tool-made roles deleted: ${before.invocations['tool-delete']} → ${after.invocations['tool-delete']}, always delivered: ` +
        `the event carries only the name; access-tag changes ${before.invocations.access} → ${after.invocations.access}; tagged roles deleted ${before.invocations['tagged-delete']} → ${after.invocations['tagged-delete']})`,
      goal: 'every access change and deletion still delivered',
      met: after.invocations.access === 50 && after.invocations['tagged-delete'] === 5 && after.invocations['tool-delete'] === 1000,
    },
    {
      scenario: 'event filter: a day of IAM events, 30 clusters — EKS and IAM calls, final access',
      figure:
        `EKS calls before ${eks(before)}, after ${eks(after)} (${((1 - eks(after) / eks(before)) * 100).toFixed(0)}% fewer); IAM calls ${iam(before)} → ${iam(after)}; ` +
        `wall ${before.seconds.toFixed(0)} s → ${after.seconds.toFixed(0)} s; final access state ${before.state === after.state ? 'identical' : 'DIFFERENT'}`,
      goal: 'identical final access state, fewer EKS calls',
      met: before.state === after.state && eks(after) < eks(before),
    },
  ];
}
