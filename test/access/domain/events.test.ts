import { describe, expect, it } from 'vitest';
import { MalformedEventError } from '#access/domain/errors';
import { interpretEvent, type EventHint } from '#access/domain/events';
import { loadEvent, type IamApiCallEvent } from '#test/helpers/events';

const ACCOUNT = '111122223333';
const opts = { tagPrefix: 'eks-access' };

function explain(event: unknown, tagPrefix = 'eks-access'): EventHint {
  return interpretEvent(event, { tagPrefix });
}

/** A TagRole (or UntagRole) event for team-a-deployer that changed exactly these keys. */
function tagRole(keys: string[]): IamApiCallEvent {
  const event = loadEvent('iam/tag-role');
  event.detail.requestParameters = { roleName: 'team-a-deployer', tags: keys.map((key) => ({ key, value: 'view' })) };
  return event;
}
function untagRole(keys: string[]): IamApiCallEvent {
  const event = loadEvent('iam/untag-role');
  event.detail.requestParameters = { roleName: 'team-a-deployer', tagKeys: keys };
  return event;
}

function malformedMessage(event: unknown): string {
  try {
    interpretEvent(event, opts);
  } catch (e) {
    expect(e).toBeInstanceOf(MalformedEventError);
    return (e as Error).message;
  }
  throw new Error('expected interpretEvent to throw');
}

describe('interpretEvent', () => {
  describe('sample events in events/iam', () => {
    const role = (name: string, arn?: string) => ({ kind: 'role', name, account: ACCOUNT, ...(arn ? { arn } : {}) });
    const user = (name: string, arn?: string) => ({ kind: 'user', name, account: ACCOUNT, ...(arn ? { arn } : {}) });
    it.each([
      ['create-role', 'reconcile', role('team-a-deployer', `arn:aws:iam::${ACCOUNT}:role/team-a-deployer`)],
      ['create-role-with-path', 'reconcile', role('platform-operator', `arn:aws:iam::${ACCOUNT}:role/teams/platform/platform-operator`)],
      ['create-user', 'reconcile', user('reporting-bot', `arn:aws:iam::${ACCOUNT}:user/reporting-bot`)],
      ['tag-role', 'reconcile', role('team-a-deployer')],
      ['tag-role-per-cluster', 'reconcile', role('team-a-deployer')],
      ['untag-role', 'reconcile', role('team-a-deployer')],
      ['tag-user', 'reconcile', user('reporting-bot')],
      ['untag-user', 'reconcile', user('reporting-bot')],
      ['delete-role', 'reconcile', role('team-a-deployer')],
      ['delete-user', 'reconcile', user('reporting-bot')],
      ['update-user-rename', 'reconcile', user('reporting-bot')],
      ['failed-tag-role', 'ignore', role('team-a-deployer')],
      ['tag-role-unrelated-key', 'ignore', role('team-a-deployer')],
      [
        'create-service-linked-role',
        'ignore',
        role('AWSServiceRoleForAmazonEKS', `arn:aws:iam::${ACCOUNT}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS`),
      ],
    ])('%s → %s %o', (name, action, principal) => {
      const event = loadEvent(`iam/${name}`);

      const hint = explain(event);

      expect(hint).toMatchObject({ action, eventName: event.detail.eventName });
      expect(hint.principal).toEqual(principal);
    });

    it('says a failed call changed nothing, naming the error code', () => {
      expect(explain(loadEvent('iam/failed-tag-role')).reason).toBe('the IAM call failed (AccessDenied); nothing changed');
    });

    it('says an unrelated tag change touched no eks-access tag', () => {
      expect(explain(loadEvent('iam/tag-role-unrelated-key')).reason).toMatch(/^no eks-access tag changed/);
    });

    it('says a service-linked role is never given access', () => {
      expect(explain(loadEvent('iam/create-service-linked-role')).reason).toMatch(/AWSServiceRoleForAmazonEKS is a service-linked role/);
    });

    it('explains a reconcile as a hint after which the current tags are re-read', () => {
      const reason = explain(loadEvent('iam/tag-role')).reason;

      expect(reason).toMatch(/hint/);
      expect(reason).toMatch(/re-reads the current tags of role team-a-deployer/);
    });
  });

  describe('UpdateUser (IAM API Reference, UpdateUser: NewUserName and NewPath change the ARN)', () => {
    const user = (name: string) => ({ kind: 'user', name, account: ACCOUNT });

    it('reconciles both the old and the new name of a renamed user, the old one first', () => {
      const hint = explain(loadEvent('iam/update-user-rename'));

      expect(hint.action).toBe('reconcile');
      expect(hint.principals).toEqual([user('reporting-bot'), user('reporting-bot-v2')]);
      expect(hint.reason).toMatch(/renamed user reporting-bot to reporting-bot-v2/);
    });

    it('reconciles the one user when only the path changed, and says the old ARN is left to the resync', () => {
      const event = loadEvent('iam/update-user-rename');
      event.detail.requestParameters = { userName: 'reporting-bot', newPath: '/bots/' };

      const hint = explain(event);

      expect(hint.principals).toEqual([user('reporting-bot')]);
      expect(hint.reason).toMatch(/resync/);
    });

    it('names the field when the user name is missing', () => {
      const event = loadEvent('iam/update-user-rename');
      event.detail.requestParameters = { newUserName: 'x' };

      expect(malformedMessage(event)).toMatch(/^detail\.requestParameters\.userName: /);
    });

    it('lists no principal to reconcile for an ignored event', () => {
      expect(explain(loadEvent('iam/failed-tag-role')).principals).toEqual([]);
    });

    it('lists the one named principal for every other call', () => {
      expect(explain(loadEvent('iam/tag-role')).principals).toEqual([{ kind: 'role', name: 'team-a-deployer', account: ACCOUNT }]);
    });
  });

  describe('per-cluster keys in another spelling than the prefix (refused by the provisioner, so still hints)', () => {
    it('reconciles a TagRole that sets eKs-AcCeSs/prod, so the refusal is logged and counted', () => {
      expect(explain(tagRole(['eKs-AcCeSs/prod'])).action).toBe('reconcile');
    });

    it('reconciles an UntagRole that removes it, which may make the principal valid again', () => {
      expect(explain(untagRole(['EKS-ACCESS/prod'])).action).toBe('reconcile');
    });
  });

  describe('events are hints, not state', () => {
    it('gives the same answer whatever tag value the event carries', () => {
      const withEdit = loadEvent('iam/tag-role');
      const withGarbage = loadEvent('iam/tag-role');
      withGarbage.detail.requestParameters = { roleName: 'team-a-deployer', tags: [{ key: 'eks-access', value: 'not-a-level' }] };

      expect(explain(withGarbage)).toEqual(explain(withEdit));
    });

    it('reconciles a created role even when it carries none of our tags (a recreated name has a new ID)', () => {
      const event = loadEvent('iam/create-role');
      event.detail.requestParameters = { ...event.detail.requestParameters, tags: [] };

      expect(explain(event).action).toBe('reconcile');
    });

    it('takes the ARN only from a create response and never builds one from a name', () => {
      expect(explain(loadEvent('iam/delete-role')).principal).not.toHaveProperty('arn');
      expect(explain(loadEvent('iam/tag-user')).principal).not.toHaveProperty('arn');
    });

    it("names the account whose IAM the call changed (recipientAccountId), not the caller's", () => {
      const event = loadEvent('iam/delete-role');
      // A caller from another account (cross-account role) deleting a role of this account.
      event.detail.userIdentity.accountId = '444455556666';

      expect(explain(event).principal).toMatchObject({ kind: 'role', name: 'team-a-deployer', account: ACCOUNT });
    });

    it("falls back to the EventBridge envelope's account when CloudTrail leaves recipientAccountId out", () => {
      const event = loadEvent('iam/delete-role');
      delete (event.detail as Partial<IamApiCallEvent['detail']>).recipientAccountId;
      event.account = '444455556666';

      expect(explain(event).principal).toMatchObject({ account: '444455556666' });
    });

    it('still reconciles a create whose response CloudTrail left out, without an ARN', () => {
      const event = loadEvent('iam/create-role');
      event.detail.responseElements = null;

      expect(explain(event)).toMatchObject({ action: 'reconcile', principal: { kind: 'role', name: 'team-a-deployer' } });
      expect(explain(event).principal).not.toHaveProperty('arn');
    });
  });

  describe('which tag keys are ours', () => {
    it.each([['EKS-Access'], ['eks-access/prod'], ['Eks-Access/Staging'], ['EKS-ACCESS-NAMESPACES'], ['eks-access-groups']])(
      'reconciles when %s changed (IAM tag keys are case-insensitive)',
      (key) => {
        expect(explain(tagRole([key])).action).toBe('reconcile');
        expect(explain(untagRole([key])).action).toBe('reconcile');
      },
    );

    it.each([['eks-accessible'], ['eks-access-level'], ['team/eks-access'], ['eks']])('ignores a near miss such as %s', (key) => {
      expect(explain(tagRole([key]))).toMatchObject({ action: 'ignore', reason: expect.stringMatching(/^no eks-access tag changed/) });
    });

    it('reconciles when one of several changed keys is ours', () => {
      expect(explain(untagRole(['cost-center', 'eks-access'])).action).toBe('reconcile');
    });

    it('ignores an UntagUser that removed only unrelated keys', () => {
      const event = loadEvent('iam/untag-user');
      event.detail.requestParameters = { userName: 'reporting-bot', tagKeys: ['owner', 'cost-center'] };

      expect(explain(event)).toMatchObject({ action: 'ignore', principal: { kind: 'user', name: 'reporting-bot' } });
    });

    it('uses the configured prefix, case-insensitively, and names it in the reason', () => {
      expect(explain(loadEvent('iam/tag-role'), 'k8s-access')).toMatchObject({
        action: 'ignore',
        reason: expect.stringMatching(/^no k8s-access tag changed/),
      });
      expect(explain(tagRole(['K8S-Access/prod']), 'k8s-access').action).toBe('reconcile');
    });
  });

  describe('service-linked roles', () => {
    it('ignores a tag change on a role named AWSServiceRoleFor…, the only mark a TagRole event carries', () => {
      const event = tagRole(['eks-access']);
      event.detail.requestParameters!.roleName = 'AWSServiceRoleForAmazonEKSNodegroup';

      expect(explain(event)).toMatchObject({ action: 'ignore', reason: expect.stringMatching(/service-linked role/) });
    });

    it('ignores a created role whose path is /aws-service-role/, whatever its name', () => {
      const event = loadEvent('iam/create-role');
      (event.detail.responseElements!.role as { path: string }).path = '/aws-service-role/eks.amazonaws.com/';

      expect(explain(event)).toMatchObject({ action: 'ignore', reason: expect.stringMatching(/service-linked role/) });
    });

    it('treats the prefix as a role mark only: a user with such a name is reconciled', () => {
      const event = loadEvent('iam/tag-user');
      event.detail.requestParameters!.userName = 'AWSServiceRoleForSomething';

      expect(explain(event).action).toBe('reconcile');
    });
  });

  describe('events outside the contract', () => {
    it('ignores another IAM call, still naming the role it concerns', () => {
      const event = loadEvent('iam/tag-role');
      event.detail.eventName = 'AttachRolePolicy';
      event.detail.requestParameters = { roleName: 'team-a-deployer', policyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' };

      expect(explain(event)).toMatchObject({
        action: 'ignore',
        principal: { kind: 'role', name: 'team-a-deployer' },
        eventName: 'AttachRolePolicy',
        reason: expect.stringMatching(/^AttachRolePolicy is not one of the IAM calls/),
      });
    });

    it('ignores a failed call even when CloudTrail recorded no request parameters', () => {
      const event = loadEvent('iam/failed-tag-role');
      event.detail.requestParameters = null;

      expect(explain(event)).toMatchObject({ action: 'ignore', principal: null, reason: 'the IAM call failed (AccessDenied); nothing changed' });
    });

    it('ignores an EventBridge event from another source, with no principal', () => {
      const scheduled = {
        version: '0',
        id: '89d1a02d-5ec7-412e-82f5-13505f849b41',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: ACCOUNT,
        time: '2025-03-04T12:00:00Z',
        region: 'us-east-1',
        resources: [`arn:aws:events:us-east-1:${ACCOUNT}:rule/resync`],
        detail: {},
      };

      expect(explain(scheduled)).toMatchObject({ action: 'ignore', principal: null, reason: expect.stringMatching(/aws\.events/) });
    });

    it('ignores a CloudTrail call to another service', () => {
      const event = loadEvent('iam/tag-role');
      event.detail.eventSource = 'sts.amazonaws.com';

      expect(explain(event)).toMatchObject({ action: 'ignore', reason: expect.stringMatching(/sts\.amazonaws\.com/) });
    });
  });

  describe('malformed input', () => {
    it.each([['a string', 'tag-role'], ['null', null], ['an array', []], ['a number', 42]])(
      'rejects %s instead of an event object',
      (_label, input) => {
        expect(malformedMessage(input)).toMatch(/^\(root\): expected an object/);
      },
    );

    it('rejects an event without detail, naming the field', () => {
      const event: Partial<IamApiCallEvent> = loadEvent('iam/tag-role');
      delete event.detail;

      expect(malformedMessage(event)).toBe('detail: expected an object, got nothing');
    });

    it('rejects a roleName that is a number, naming the field path', () => {
      const event = loadEvent('iam/tag-role');
      event.detail.requestParameters!.roleName = 42;

      expect(malformedMessage(event)).toBe('detail.requestParameters.roleName: expected a string, got a number');
    });

    it('rejects a tag without a key, naming its index', () => {
      const event = loadEvent('iam/tag-role');
      event.detail.requestParameters!.tags = [{ value: 'edit' }];

      expect(malformedMessage(event)).toBe('detail.requestParameters.tags[0].key: expected a string, got nothing');
    });

    it('rejects UntagRole tagKeys that are not a list', () => {
      const event = loadEvent('iam/untag-role');
      event.detail.requestParameters!.tagKeys = 'eks-access';

      expect(malformedMessage(event)).toBe('detail.requestParameters.tagKeys: expected an array, got a string');
    });

    it('rejects an empty userName', () => {
      const event = loadEvent('iam/delete-user');
      event.detail.requestParameters!.userName = '';

      expect(malformedMessage(event)).toBe('detail.requestParameters.userName: must not be empty');
    });

    it('rejects a create response whose role has no ARN', () => {
      const event = loadEvent('iam/create-role');
      delete (event.detail.responseElements!.role as { arn?: string }).arn;

      expect(malformedMessage(event)).toBe('detail.responseElements.role.arn: expected a string, got nothing');
    });

    it('rejects an IAM CloudTrail event without an eventName', () => {
      const event: { detail: Partial<IamApiCallEvent['detail']> } = loadEvent('iam/delete-role');
      delete event.detail.eventName;

      expect(malformedMessage(event)).toBe('detail.eventName: expected a string, got nothing');
    });

    it('raises an error whose name Step Functions and logs can match on', () => {
      expect(() => explain({})).toThrow(expect.objectContaining({ name: 'MalformedEventError' }));
    });
  });
});
