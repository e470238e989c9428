// CloudTrail over HTTP (sandbox/server/services/cloudtrail.ts, sandbox/model/cloudtrail.ts) with the
// real CloudTrailClient: the seeded trail (one multi-region trail in the home Region, logging every
// management event), its shadows in the other Regions, and each operation's documented errors
// (CloudTrail API reference: DescribeTrails, GetTrailStatus, GetEventSelectors, StartLogging,
// StopLogging, PutEventSelectors).
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CloudTrailARNInvalidException,
  CloudTrailClient,
  DescribeTrailsCommand,
  GetEventSelectorsCommand,
  GetTrailStatusCommand,
  InvalidHomeRegionException,
  InvalidTrailNameException,
  PutEventSelectorsCommand,
  StartLoggingCommand,
  StopLoggingCommand,
  TrailNotFoundException,
} from '@aws-sdk/client-cloudtrail';
import { SANDBOX_TRAIL, startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';

const HOME = 'eu-west-1';
const ARN = `arn:aws:cloudtrail:${HOME}:111122223333:trail/${SANDBOX_TRAIL}`;

let sandbox: Sandbox;
const clients = new Map<string, CloudTrailClient>();

function trails(region: string): CloudTrailClient {
  let c = clients.get(region);
  if (!c) {
    const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
    clients.set(region, (c = new CloudTrailClient({ region, endpoint: sandbox.url, credentials, maxAttempts: 1 })));
  }
  return c;
}

beforeAll(async () => {
  sandbox = await startSandbox({ region: HOME });
});
afterAll(async () => {
  for (const c of clients.values()) c.destroy();
  await sandbox.stop();
});
beforeEach(async () => {
  // Every test starts from the healthy trail.
  await trails(HOME).send(new StartLoggingCommand({ Name: SANDBOX_TRAIL }));
  await trails(HOME).send(new PutEventSelectorsCommand({ TrailName: SANDBOX_TRAIL, EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] }));
});

describe('DescribeTrails', () => {
  it('lists the multi-region trail in its home Region, and as a shadow trail in another (includeShadowTrails defaults to true)', async () => {
    const home = await trails(HOME).send(new DescribeTrailsCommand({}));
    const shadow = await trails('us-east-1').send(new DescribeTrailsCommand({}));

    const expected = { Name: SANDBOX_TRAIL, TrailARN: ARN, HomeRegion: HOME, IsMultiRegionTrail: true, IncludeGlobalServiceEvents: true, IsOrganizationTrail: false };
    expect(home.trailList).toEqual([expect.objectContaining(expected)]);
    expect(shadow.trailList).toEqual([expect.objectContaining(expected)]);
  });

  it('leaves shadow trails out with includeShadowTrails false, and matches names only in the home Region', async () => {
    expect((await trails('us-east-1').send(new DescribeTrailsCommand({ includeShadowTrails: false }))).trailList).toEqual([]);
    expect((await trails('us-east-1').send(new DescribeTrailsCommand({ trailNameList: [SANDBOX_TRAIL] }))).trailList).toEqual([]);
    expect((await trails('us-east-1').send(new DescribeTrailsCommand({ trailNameList: [ARN] }))).trailList?.map((t) => t.Name)).toEqual([SANDBOX_TRAIL]);
    expect((await trails(HOME).send(new DescribeTrailsCommand({ trailNameList: [SANDBOX_TRAIL] }))).trailList?.map((t) => t.Name)).toEqual([SANDBOX_TRAIL]);
  });

  it('refuses an invalid name (InvalidTrailNameException) and a malformed ARN (CloudTrailARNInvalidException)', async () => {
    expect(await rejectionOf(trails(HOME).send(new DescribeTrailsCommand({ trailNameList: ['a--b'] })))).toBeInstanceOf(InvalidTrailNameException);
    expect(await rejectionOf(trails(HOME).send(new DescribeTrailsCommand({ trailNameList: ['arn:aws:cloudtrail:eu-west-1:1:nope'] })))).toBeInstanceOf(CloudTrailARNInvalidException);
  });
});

describe('GetTrailStatus and GetEventSelectors', () => {
  it('report a logging trail that records every management event', async () => {
    const status = await trails(HOME).send(new GetTrailStatusCommand({ Name: SANDBOX_TRAIL }));
    const selectors = await trails(HOME).send(new GetEventSelectorsCommand({ TrailName: SANDBOX_TRAIL }));

    expect(status).toMatchObject({ IsLogging: true, StartLoggingTime: expect.any(Date) });
    expect(selectors).toMatchObject({ TrailARN: ARN, EventSelectors: [{ ReadWriteType: 'All', IncludeManagementEvents: true }] });
    expect(selectors.AdvancedEventSelectors).toBeUndefined();
  });

  it("read a shadow trail by its ARN only: by name, another Region's trail is TrailNotFoundException", async () => {
    expect((await trails('us-east-1').send(new GetTrailStatusCommand({ Name: ARN }))).IsLogging).toBe(true);
    expect((await trails('us-east-1').send(new GetEventSelectorsCommand({ TrailName: ARN }))).TrailARN).toBe(ARN);
    const e = await rejectionOf(trails('us-east-1').send(new GetTrailStatusCommand({ Name: SANDBOX_TRAIL })));
    expect(e).toBeInstanceOf(TrailNotFoundException);
    expect(await rejectionOf(trails(HOME).send(new GetEventSelectorsCommand({ TrailName: 'no-such-trail' })))).toBeInstanceOf(TrailNotFoundException);
  });
});

describe('StopLogging and StartLogging', () => {
  it('stop and restart recording, which GetTrailStatus reports, and stop IAM events reaching EventBridge', async () => {
    await trails(HOME).send(new StopLoggingCommand({ Name: SANDBOX_TRAIL }));
    const stopped = await trails(HOME).send(new GetTrailStatusCommand({ Name: SANDBOX_TRAIL }));
    expect(stopped).toMatchObject({ IsLogging: false, StopLoggingTime: expect.any(Date) });
    expect(sandbox.model.cloudtrail.recordsIamWrite('TagRole')).toBe(false);

    await trails(HOME).send(new StartLoggingCommand({ Name: ARN }));
    expect((await trails(HOME).send(new GetTrailStatusCommand({ Name: SANDBOX_TRAIL }))).IsLogging).toBe(true);
    expect(sandbox.model.cloudtrail.recordsIamWrite('TagRole')).toBe(true);
  });

  it('must be called in the home Region: from another, InvalidHomeRegionException (by ARN) or TrailNotFoundException (by name)', async () => {
    expect(await rejectionOf(trails('us-east-1').send(new StopLoggingCommand({ Name: ARN })))).toBeInstanceOf(InvalidHomeRegionException);
    expect(await rejectionOf(trails('us-east-1').send(new StopLoggingCommand({ Name: SANDBOX_TRAIL })))).toBeInstanceOf(TrailNotFoundException);
    expect((await trails(HOME).send(new GetTrailStatusCommand({ Name: SANDBOX_TRAIL }))).IsLogging).toBe(true);
  });
});

describe('which IAM calls the trail records', () => {
  it('none once its selectors keep only read events, basic or advanced', async () => {
    await trails(HOME).send(new PutEventSelectorsCommand({ TrailName: SANDBOX_TRAIL, EventSelectors: [{ ReadWriteType: 'ReadOnly', IncludeManagementEvents: true }] }));
    expect(sandbox.model.cloudtrail.recordsIamWrite('TagRole')).toBe(false);

    const readsOnly = [{ Name: 'reads', FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }, { Field: 'readOnly', Equals: ['true'] }] }];
    const put = await trails(HOME).send(new PutEventSelectorsCommand({ TrailName: SANDBOX_TRAIL, AdvancedEventSelectors: readsOnly }));
    expect(put.AdvancedEventSelectors).toEqual(readsOnly);
    expect((await trails(HOME).send(new GetEventSelectorsCommand({ TrailName: SANDBOX_TRAIL }))).EventSelectors).toBeUndefined();
    expect(sandbox.model.cloudtrail.recordsIamWrite('TagRole')).toBe(false);

    await trails(HOME).send(new PutEventSelectorsCommand({ TrailName: SANDBOX_TRAIL, AdvancedEventSelectors: [{ FieldSelectors: [{ Field: 'eventCategory', Equals: ['Management'] }] }] }));
    expect(sandbox.model.cloudtrail.recordsIamWrite('TagRole')).toBe(true);
  });

  it('none in an account without a trail (startSandbox trail: false), and none from a single-Region trail outside us-east-1', async () => {
    const bare = await startSandbox({ region: HOME, trail: false, iam: false });
    try {
      expect(bare.model.cloudtrail.describeTrails('us-east-1').trailList).toEqual([]);
      expect(bare.model.cloudtrail.recordsIamWrite('TagRole')).toBe(false);
      bare.model.cloudtrail.addTrail({ name: 'regional', homeRegion: HOME, s3BucketName: 'logs' });
      expect(bare.model.cloudtrail.recordsIamWrite('TagRole')).toBe(false);
      bare.model.cloudtrail.addTrail({ name: 'global', homeRegion: 'us-east-1', s3BucketName: 'logs', includeGlobalServiceEvents: true });
      expect(bare.model.cloudtrail.recordsIamWrite('TagRole')).toBe(true);
    } finally {
      await bare.stop();
    }
  });
});

describe('IAM authorizes CloudTrail calls on the trail ARN (SAR, AWS CloudTrail)', () => {
  it('refuses a role without the grant, naming cloudtrail:GetTrailStatus on the trail', async () => {
    const role = [...sandbox.iam!.app.roles.keys()].find((n) => n.includes('ProvisionerRole'))!;
    const c = sandbox.iam!.issueRoleCredentials(role, 'curious');
    const asRole = new CloudTrailClient({ region: HOME, endpoint: sandbox.url, credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken }, maxAttempts: 1 });
    const e = await rejectionOf(asRole.send(new GetTrailStatusCommand({ Name: SANDBOX_TRAIL })));
    expect(e.name).toBe('AccessDeniedException');
    expect(e.message).toContain(`is not authorized to perform: cloudtrail:GetTrailStatus on resource: ${ARN}`);
    asRole.destroy();
  });

  it('lets an operator allowed only cloudtrail:DescribeTrails list trails and refuses it the status', async () => {
    const onlyDescribe = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'cloudtrail:DescribeTrails', Resource: '*' }] };
    const c = sandbox.iam!.issueCredentials('arn:aws:sts::111122223333:assumed-role/ReadOnlyOperator/alice', [{ name: 'only-describe', policy: onlyDescribe }]);
    const limited = new CloudTrailClient({ region: HOME, endpoint: sandbox.url, credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken }, maxAttempts: 1 });
    expect((await limited.send(new DescribeTrailsCommand({}))).trailList).toHaveLength(1);
    expect((await rejectionOf(limited.send(new GetTrailStatusCommand({ Name: ARN })))).name).toBe('AccessDeniedException');
    limited.destroy();
  });
});
