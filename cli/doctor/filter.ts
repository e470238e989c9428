/**
 * Check "rule filter": EventBridge itself evaluates the rule's pattern (`iamEventPattern`) on
 * sample IAM events, through TestEventPattern (EventBridge API reference: "Tests whether the
 * specified event pattern matches the provided event"; read-only, no resource), and each answer
 * is compared with what this checkout expects (`ruleDropReason`). The filter rests on behaviour
 * the EventBridge user guide does not spell out — a nested pattern matching one element of
 * CloudTrail's array of `{key, value}` tags (Event Ruler documents it), case-insensitive matchers
 * inside it, Identity Center's role creations by path or caller (docs/architecture.md, "Sources
 * and unverified rules") — so the first doctor in a real account turns those assumptions into a
 * checked fact. A mismatch means some access changes wait for the resync (or, the other way,
 * reach the provisioner for nothing): it fails, naming each case.
 */
import { EventBridgeClient, TestEventPatternCommand } from '@aws-sdk/client-eventbridge';
import { iamEventPattern, ruleDropReason } from '#access/domain/event-filter';
import { IAM_EVENTS_REGION } from '#infra/stacks/forwarder';
import { fail, guarded, pass, type CheckResult } from './check.ts';
import type { Deployment } from './deployment.ts';

const ID = 'rule filter';

interface Sample {
  name: string;
  event: Record<string, unknown>;
}

/** The IAM calls the filter must tell apart, as CloudTrail records them (events/iam/*.json). */
export function filterSamples(tagPrefix: string, accountId: string): Sample[] {
  const envelope = (eventName: string, detail: Record<string, unknown>) => ({
    version: '0',
    id: `doctor-${eventName}`,
    'detail-type': 'AWS API Call via CloudTrail',
    source: 'aws.iam',
    account: accountId,
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: IAM_EVENTS_REGION,
    resources: [],
    detail: { eventSource: 'iam.amazonaws.com', eventName, recipientAccountId: accountId, ...detail },
  });
  const tags = (...keys: string[]) => keys.map((key) => ({ key, value: 'view' }));
  const role = 'doctor-sample';
  const sample = (name: string, eventName: string, requestParameters: Record<string, unknown>, extra: Record<string, unknown> = {}): Sample => ({
    name,
    event: envelope(eventName, { requestParameters, ...extra }),
  });
  const upper = tagPrefix.toUpperCase();
  return [
    sample(`TagRole ${tagPrefix}`, 'TagRole', { roleName: role, tags: tags('team', tagPrefix) }),
    sample(`TagRole ${upper}`, 'TagRole', { roleName: role, tags: tags(upper) }),
    sample(`TagRole ${tagPrefix}/prod`, 'TagRole', { roleName: role, tags: tags(`${tagPrefix}/prod`) }),
    sample(`TagUser ${tagPrefix}-expires only`, 'TagUser', { userName: role, tags: tags(`${tagPrefix}-expires`) }),
    sample('TagRole cost-center', 'TagRole', { roleName: role, tags: tags('cost-center') }),
    sample(`UntagRole ${tagPrefix}-namespaces`, 'UntagRole', { roleName: role, tagKeys: ['team', `${tagPrefix}-namespaces`] }),
    sample('UntagUser cost-center', 'UntagUser', { userName: role, tagKeys: ['cost-center'] }),
    sample(`CreateRole with ${tagPrefix}-groups`, 'CreateRole', { roleName: role, path: '/', tags: tags('app', `${tagPrefix}-groups`) }),
    sample('CreateRole without tags', 'CreateRole', { roleName: role, path: '/' }),
    sample('CreateUser with other tags', 'CreateUser', { userName: role, tags: tags('app') }),
    sample('CreateRole by Identity Center (path)', 'CreateRole', { roleName: 'AWSReservedSSO_Doctor_0123456789abcdef', path: '/aws-reserved/sso.amazonaws.com/eu-west-1/' }),
    sample('CreateRole by Identity Center (caller)', 'CreateRole', { roleName: 'AWSReservedSSO_Doctor_0123456789abcdef' }, { userIdentity: { type: 'AssumedRole', invokedBy: 'sso.amazonaws.com' } }),
    sample('DeleteRole', 'DeleteRole', { roleName: role }),
    sample('UpdateUser', 'UpdateUser', { userName: role, newUserName: `${role}-2` }),
    sample(`TagRole ${tagPrefix}, failed`, 'TagRole', { roleName: role, tags: tags(tagPrefix) }, { errorCode: 'AccessDenied' }),
  ];
}

export function filterCheck(d: Deployment, accountId: string): Promise<CheckResult[]> {
  return guarded(ID, 'events:TestEventPattern', async () => {
    const prefix = d.config.tagPrefix;
    const pattern = JSON.stringify(iamEventPattern(prefix));
    const client = new EventBridgeClient({ region: IAM_EVENTS_REGION });
    const samples = filterSamples(prefix, accountId);
    const wrong: string[] = [];
    for (const s of samples) {
      const { Result } = await client.send(new TestEventPatternCommand({ EventPattern: pattern, Event: JSON.stringify(s.event) }));
      const expected = ruleDropReason(s.event, prefix) === undefined;
      if (Result !== expected) wrong.push(`${s.name}: EventBridge ${Result ? 'delivers' : 'drops'} it, this checkout expects it ${expected ? 'delivered' : 'dropped'}`);
    }
    if (wrong.length) {
      return fail(
        ID,
        wrong.join('; '),
        'the rule\'s filter does not behave on EventBridge as this checkout assumes (docs/architecture.md, "Sources and unverified rules"): calls it drops wrongly wait for the resync; report this output',
      );
    }
    return pass(ID, `EventBridge (${IAM_EVENTS_REGION}) matches the rule's pattern on ${samples.length} sample IAM calls as this checkout expects`);
  });
}
