/**
 * The provisioner rule's filter (`iamEventPattern`), evaluated as EventBridge evaluates it (the
 * sandbox's matcher, contract-tested in test/sandbox/event-pattern.test.ts): only IAM calls that
 * can change access are delivered, and `ruleDropReason` — what explain-event says — agrees with it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HANDLED_EVENT_NAMES } from '#access/domain/events';
import { iamEventPattern, ruleDropReason } from '#access/domain/event-filter';
import { isOwnTagKey } from '#access/domain/tags';
import { matchesPattern, type EventPattern } from '#sandbox/event-pattern';
import { loadEvent, type IamApiCallEvent } from '#test/helpers/events';

const PREFIX = 'eks-access';
const delivered = (event: unknown, prefix = PREFIX) => matchesPattern(iamEventPattern(prefix) as unknown as EventPattern, event);

function withParams(fixture: string, eventName: string, requestParameters: Record<string, unknown>): IamApiCallEvent {
  const event = loadEvent(`iam/${fixture}`);
  event.detail.eventName = eventName;
  event.detail.requestParameters = requestParameters;
  return event;
}
const tagged = (eventName: string, keys: string[]) =>
  withParams('tag-role', eventName, { [eventName.endsWith('User') ? 'userName' : 'roleName']: 'p', tags: keys.map((key) => ({ key, value: 'view' })) });
const untagged = (eventName: string, keys: string[]) => withParams('untag-role', eventName, { [eventName.endsWith('User') ? 'userName' : 'roleName']: 'p', tagKeys: keys });

describe('iamEventPattern', () => {
  it('delivers the sample events that can change access, and drops the others', () => {
    const expected: Record<string, boolean> = {
      'create-role': true,
      'create-role-with-path': true,
      'create-user': true,
      'tag-role': true,
      'tag-role-per-cluster': true,
      'tag-user': true,
      'untag-role': true,
      'untag-user': true,
      'delete-role': true,
      'delete-user': true,
      'update-user-rename': true,
      'tag-role-unrelated-key': false,
      'failed-tag-role': false,
      'create-service-linked-role': false,
    };
    for (const [name, want] of Object.entries(expected)) expect(delivered(loadEvent(`iam/${name}`)), name).toBe(want);
  });

  it('drops the calls of deployment tools that carry no access tag: CreateRole/CreateUser without tags or with others only', () => {
    for (const name of ['CreateRole', 'CreateUser']) {
      expect(delivered(tagged(name, []))).toBe(false);
      expect(delivered(withParams('create-role', name, { roleName: 'cfn-role-1A2B' }))).toBe(false);
      expect(delivered(tagged(name, ['aws:cloudformation:stack-name', 'team']))).toBe(false);
      expect(delivered(tagged(name, ['team', 'eks-access']))).toBe(true);
    }
  });

  it('reads every key of the contract, in any case, per-cluster keys in any spelling, and nothing that merely starts alike', () => {
    for (const key of ['eks-access', 'EKS-Access', 'eks-access/prod', 'EKS-ACCESS/prod', 'eks-access-namespaces', 'Eks-Access-Groups', 'eks-access-expires']) {
      for (const name of ['TagRole', 'TagUser', 'CreateRole', 'CreateUser']) expect(delivered(tagged(name, ['team', key])), `${name} ${key}`).toBe(true);
      for (const name of ['UntagRole', 'UntagUser']) expect(delivered(untagged(name, ['team', key])), `${name} ${key}`).toBe(true);
    }
    for (const key of ['eks-accessible', 'eks-access-level', 'my-eks-access', 'eks', 'eks-access_prod']) {
      expect(delivered(tagged('TagRole', [key])), key).toBe(false);
      expect(delivered(untagged('UntagRole', [key])), key).toBe(false);
    }
  });

  it('always delivers DeleteRole, DeleteUser and UpdateUser: their events carry no tags, and a stale entry must go', () => {
    expect(delivered(withParams('delete-role', 'DeleteRole', { roleName: 'cfn-role-1A2B' }))).toBe(true);
    expect(delivered(withParams('delete-user', 'DeleteUser', { userName: 'ci' }))).toBe(true);
    expect(delivered(withParams('update-user-rename', 'UpdateUser', { userName: 'ci', newPath: '/x/' }))).toBe(true);
  });

  it('delivers the roles Identity Center creates (no tags of their own), by path or by caller', () => {
    const byPath = withParams('create-role', 'CreateRole', { roleName: 'AWSReservedSSO_Readers_0123456789abcdef', path: '/aws-reserved/sso.amazonaws.com/eu-west-1/' });
    (byPath.detail as Record<string, unknown>).responseElements = null; // CloudTrail may leave it out
    expect(delivered(byPath)).toBe(true);
    const byCaller = withParams('create-role', 'CreateRole', { roleName: 'AWSReservedSSO_Readers_0123456789abcdef' });
    (byCaller.detail as Record<string, unknown>).userIdentity = { type: 'AssumedRole', invokedBy: 'sso.amazonaws.com' };
    expect(delivered(byCaller)).toBe(true);
    // the same path on a user, or another service's caller, is not Identity Center's
    expect(delivered(withParams('create-user', 'CreateUser', { userName: 'u', path: '/aws-reserved/sso.amazonaws.com/' }))).toBe(false);
    const byCloudFormation = withParams('create-role', 'CreateRole', { roleName: 'stack-Role-1A2B' });
    (byCloudFormation.detail as Record<string, unknown>).userIdentity = { type: 'AssumedRole', invokedBy: 'cloudformation.amazonaws.com' };
    expect(delivered(byCloudFormation)).toBe(false);
  });

  it('filters on the configured prefix only', () => {
    expect(delivered(tagged('TagRole', ['platform-access/prod']), 'platform-access')).toBe(true);
    expect(delivered(tagged('TagRole', ['eks-access']), 'platform-access')).toBe(false);
  });

  it('drops failed calls and other services, whatever they carry', () => {
    const failed = tagged('TagRole', ['eks-access']);
    (failed.detail as Record<string, unknown>).errorCode = 'AccessDenied';
    expect(delivered(failed)).toBe(false);
    const sts = tagged('TagRole', ['eks-access']);
    (sts as { source: string }).source = 'aws.sts';
    expect(delivered(sts)).toBe(false);
  });

  it('fits EventBridge\'s 2,048-character pattern quota for the longest valid prefix (100 characters)', () => {
    // EventBridge User Guide, "Amazon EventBridge quotas": Event pattern size 2,048 characters.
    expect(JSON.stringify(iamEventPattern('x'.repeat(100))).length).toBeLessThanOrEqual(2048);
  });

  it('returns a fresh object, so a caller that edits its copy cannot change the rule elsewhere', () => {
    iamEventPattern(PREFIX).detail.$or.pop();
    expect(iamEventPattern(PREFIX).detail.$or).toHaveLength(5);
  });
});

describe('the filter agrees with the handler', () => {
  // Keys built from pieces of the contract, so that near misses are common.
  const key = fc
    .tuple(fc.constantFrom('', 'eks-access', 'EKS-ACCESS', 'Eks-Access', 'eks', 'my-eks-access'), fc.constantFrom('', '/', '-', '-namespaces', '-groups', '-expires', '/prod', 'ible', '_x'))
    .map(([a, b]) => a + b);

  it('delivers a Tag/Untag event exactly when one of its keys is one the handler reads (isOwnTagKey)', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 4 }), fc.constantFrom('TagRole', 'TagUser', 'UntagRole', 'UntagUser', 'CreateRole', 'CreateUser'), (keys, name) => {
        const event = name.startsWith('Untag') ? untagged(name, keys) : tagged(name, keys);
        expect(delivered(event)).toBe(keys.some((k) => isOwnTagKey(k, PREFIX)));
      }),
    );
  });

  it('ruleDropReason (what explain-event prints) is undefined exactly when the rule delivers', () => {
    const names = fc.constantFrom(...HANDLED_EVENT_NAMES, 'AttachRolePolicy', 'CreateServiceLinkedRole');
    fc.assert(
      fc.property(
        names,
        fc.array(key, { maxLength: 3 }),
        fc.constantFrom(undefined, 'NoSuchEntity', '', null),
        fc.constantFrom(undefined, '/', '/aws-reserved/sso.amazonaws.com/'),
        fc.constantFrom(undefined, 'sso.amazonaws.com', 'cloudformation.amazonaws.com'),
        fc.constantFrom('aws.iam', 'aws.sts'),
        (name, keys, errorCode, path, invokedBy, source) => {
          const event = name.startsWith('Untag') ? untagged(name, keys) : tagged(name, keys);
          if (path !== undefined) event.detail.requestParameters!.path = path;
          if (errorCode !== undefined) (event.detail as Record<string, unknown>).errorCode = errorCode;
          if (invokedBy !== undefined) (event.detail as Record<string, unknown>).userIdentity = { type: 'AssumedRole', invokedBy };
          (event as { source: string }).source = source;
          const reason = ruleDropReason(event, PREFIX);
          expect(reason === undefined, reason).toBe(delivered(event));
        },
      ),
    );
  });

  it('says why in words a person can act on', () => {
    expect(ruleDropReason(tagged('CreateRole', ['team']), PREFIX)).toBe('CreateRole set no eks-access tag key (keys: team); a role without one has no access to grant');
    expect(ruleDropReason(untagged('UntagUser', []), PREFIX)).toBe('UntagUser removed no eks-access tag key (no tag keys)');
    expect(ruleDropReason(loadEvent('iam/failed-tag-role'), PREFIX)).toMatch(/^the IAM call failed \(/);
  });
});
