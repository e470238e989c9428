/**
 * The sandbox's EventBridge: the rule's pattern decides what reaches the provisioner (the same
 * `iamEventPattern(tagPrefix)` the CDK rule is built from), and delivery behaves like an async Lambda
 * invoke with two retries and an on-failure destination.
 */
import { describe, expect, it } from 'vitest';
import { iamEventPattern } from '#access/domain/event-filter';
import type { CloudTrailEnvelope } from '#sandbox/cloudtrail';
import { EventBridge, matchesPattern, type EventPattern } from '#sandbox/eventbridge';
import { AwsModel } from '#sandbox/model/index';
import { loadEvent } from '#test/helpers/events';
import { TRUST } from '#test/sandbox/world';

const rule = iamEventPattern('eks-access') as unknown as EventPattern;

describe('matchesPattern with the provisioner rule', () => {
  it('matches the handled IAM calls and nothing else', () => {
    for (const name of ['create-role', 'create-role-with-path', 'tag-role', 'untag-user', 'delete-role', 'create-user']) {
      expect(matchesPattern(rule, loadEvent(`iam/${name}`)), name).toBe(true);
    }
    // errorCode present → `exists: false` fails
    expect(matchesPattern(rule, loadEvent('iam/failed-tag-role'))).toBe(false);
    const other = loadEvent('iam/tag-role');
    other.detail.eventName = 'AttachRolePolicy';
    expect(matchesPattern(rule, other)).toBe(false);
    const sts = loadEvent('iam/tag-role');
    (sts as { source: string }).source = 'aws.sts';
    expect(matchesPattern(rule, sts)).toBe(false);
  });

  it('drops what cannot change access: an untagged CreateRole, a TagRole of other keys (the operators: test/sandbox/event-pattern.test.ts)', () => {
    const create = loadEvent('iam/create-role');
    create.detail.requestParameters = { roleName: 'cfn-role', tags: [{ key: 'team', value: 'a' }] };
    expect(matchesPattern(rule, create)).toBe(false);
    expect(matchesPattern(rule, loadEvent('iam/tag-role-unrelated-key'))).toBe(false);
  });
});

describe('EventBridge delivery', () => {
  const event = () => loadEvent('iam/tag-role') as unknown as CloudTrailEnvelope;

  it('delivers asynchronously: put returns before the target runs, drain waits for it', async () => {
    const seen: string[] = [];
    const bus = new EventBridge(async (e) => {
      seen.push(e.id);
    });
    expect(bus.put(event())).toBe(true);
    expect(seen).toEqual([]);
    await bus.drain();
    expect(seen).toHaveLength(1);
  });

  it('retries a failed invocation twice, then parks it as a dead letter', async () => {
    let attempts = 0;
    const bus = new EventBridge(
      async () => {
        attempts += 1;
        throw new Error(`boom ${attempts}`);
      },
      { retryDelayMs: 1 },
    );
    bus.put(event());
    await bus.drain();
    expect(attempts).toBe(3);
    expect(bus.deadLetters).toHaveLength(1);
    expect(bus.deadLetters[0]).toMatchObject({ attempts: 3, error: { message: 'boom 3' } });
  });

  it('counts a retry that succeeds as delivered, with no dead letter', async () => {
    let attempts = 0;
    const bus = new EventBridge(
      async () => {
        attempts += 1;
        if (attempts === 1) throw new Error('transient');
      },
      { retryDelayMs: 1 },
    );
    bus.put(event());
    await bus.drain();
    expect(bus.stats()).toEqual({ put: 1, matched: 1, delivered: 1, failedAttempts: 1 });
    expect(bus.deadLetters).toEqual([]);
  });

  it('turns IAM model writes into CloudTrail events; failed calls and untagged creates are put on the bus but not delivered', async () => {
    const model = new AwsModel();
    const delivered: CloudTrailEnvelope[] = [];
    const bus = new EventBridge(async (e) => {
      delivered.push(e);
    });
    bus.connect(model.iam);
    model.iam.createRole({ RoleName: 'app', AssumeRolePolicyDocument: TRUST, Tags: [{ Key: 'eks-access', Value: 'view' }] });
    model.iam.createRole({ RoleName: 'cfn-made', AssumeRolePolicyDocument: TRUST });
    expect(() => model.iam.tagRole({ RoleName: 'ghost', Tags: [{ Key: 'eks-access', Value: 'view' }] })).toThrow();
    await bus.drain();
    expect(delivered.map((e) => [e.detail.eventName, (e.detail.requestParameters as { roleName: string }).roleName])).toEqual([['CreateRole', 'app']]);
    expect(bus.unmatched.map((e) => [e.detail.eventName, e.detail.errorCode])).toEqual([
      ['CreateRole', undefined], // no access tag: filtered by the rule
      ['TagRole', 'NoSuchEntityException'],
    ]);
  });
});
