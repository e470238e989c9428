// iam:SimulatePrincipalPolicy in the sandbox (sandbox/iam/simulate.ts) answers with the evaluation
// the enforcer decides real calls with, over the same role policies: for every call a deployed role
// really made, simulating its action, resource and service context gives the enforcer's decision —
// an allowed call, one above the ceiling and one on a foreign entry. Shapes and errors per the IAM
// API reference (SimulatePrincipalPolicy, EvaluationResult, ContextEntry).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AssociateAccessPolicyCommand, CreateAccessEntryCommand, DeleteAccessEntryCommand, EKSClient } from '@aws-sdk/client-eks';
import { IAMClient, InvalidInputException, NoSuchEntityException, SimulatePrincipalPolicyCommand, type ContextEntry, type EvaluationResult } from '@aws-sdk/client-iam';
import type { JournalEntry } from '#sandbox/iam/enforcer';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { rejectionOf } from './world.ts';

const ACCOUNT = '111122223333';
const REGION = 'eu-west-1';
const POLICY = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const OURS = { 'managed-by': 'eks-access-pilot', 'eks-access-pilot/source': 'tag', 'eks-access-pilot/principal-id': 'AROAEXAMPLE' };

let sandbox: Sandbox;
let iam: IAMClient;
let provisionerArn: string;
let journal: JournalEntry[];

const roleNamed = (part: string) => [...sandbox.iam!.app.roles.values()].find((r) => r.name.includes(part))!;

/** A context as ContextEntries: lists as stringList, single values as string (IAM API reference, ContextKeyTypeEnum). */
function entries(context: Record<string, string | string[]>): ContextEntry[] {
  return Object.entries(context).map(([k, v]) => ({ ContextKeyName: k, ContextKeyValues: Array.isArray(v) ? v : [v], ContextKeyType: Array.isArray(v) ? 'stringList' : 'string' }));
}

async function simulate(action: string, resource: string, context?: Record<string, string | string[]>): Promise<EvaluationResult> {
  const out = await iam.send(
    new SimulatePrincipalPolicyCommand({ PolicySourceArn: provisionerArn, ActionNames: [action], ResourceArns: [resource], ...(context ? { ContextEntries: entries(context) } : {}) }),
  );
  return out.EvaluationResults![0]!;
}

const DECISION = { Allowed: 'allowed', ExplicitlyDenied: 'explicitDeny', ImplicitlyDenied: 'implicitDeny' } as const;

beforeAll(async () => {
  // Arrange: the app deployed for one cluster; the provisioner's role makes real calls, journaled.
  sandbox = await startSandbox({
    region: REGION,
    seed: {
      iam: { roles: [{ name: 'team-a' }, { name: 'someone-else' }], users: [{ name: 'carol' }] },
      clusters: [{ name: 'prod', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' }],
    },
    iam: { config: { homeRegion: REGION, clusters: [{ name: 'prod', region: REGION }] } },
  });
  const operator = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  iam = new IAMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: operator, maxAttempts: 1 });
  await new EKSClient({ region: REGION, endpoint: sandbox.url, credentials: operator }).send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role('someone-else') }));
  const provisioner = roleNamed('ProvisionerRole');
  provisionerArn = provisioner.arn;
  const c = sandbox.iam!.issueRoleCredentials(provisioner.name, 'test');
  const eks = new EKSClient({ region: REGION, endpoint: sandbox.url, credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken }, maxAttempts: 1 });
  sandbox.iam!.openJournal();
  await eks.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role('team-a'), tags: OURS }));
  await eks.send(new AssociateAccessPolicyCommand({ clusterName: 'prod', principalArn: role('team-a'), policyArn: POLICY('AmazonEKSEditPolicy'), accessScope: { type: 'cluster' } }));
  await rejectionOf(eks.send(new AssociateAccessPolicyCommand({ clusterName: 'prod', principalArn: role('team-a'), policyArn: POLICY('AmazonEKSClusterAdminPolicy'), accessScope: { type: 'cluster' } })));
  await rejectionOf(eks.send(new DeleteAccessEntryCommand({ clusterName: 'prod', principalArn: role('someone-else') })));
  journal = [...sandbox.iam!.journal!];
  sandbox.iam!.journal = undefined;
});

afterAll(async () => {
  iam.destroy();
  await sandbox.stop();
});

describe('SimulatePrincipalPolicy agrees with the enforcer', () => {
  it('gives every decision the enforcer made for the role, with the context the service set', async () => {
    // Arrange: the four calls — create (+ tag-on-create), associate Edit, associate admin, delete a foreign entry.
    expect(journal.map((j) => [j.request.action, j.allowed])).toEqual([
      ['eks:CreateAccessEntry', true],
      ['eks:TagResource', true],
      ['eks:AssociateAccessPolicy', true],
      ['eks:AssociateAccessPolicy', false],
      ['eks:DeleteAccessEntry', false],
    ]);
    for (const j of journal) {
      const context = await sandbox.iam!.requestContext(j.identity, j.request, j.call);
      const expected = await sandbox.iam!.evaluate(j.identity, j.identity.policies!, j.request, j.call);

      // Act
      const result = await simulate(j.request.action, j.request.resource, context);

      // Assert
      expect(result.EvalDecision, `${j.request.action} on ${j.request.resource}`).toBe(DECISION[expected]);
      expect(result.EvalDecision === 'allowed').toBe(j.allowed);
    }
  });

  it('names the allowing statement of an allowed call, with its policy and position', async () => {
    const create = journal[0]!;
    const result = await simulate(create.request.action, create.request.resource, await sandbox.iam!.requestContext(create.identity, create.request, create.call));
    expect(result).toMatchObject({ EvalActionName: 'eks:CreateAccessEntry', EvalResourceName: create.request.resource, EvalDecision: 'allowed', MissingContextValues: [] });
    const [statement] = result.ResourceSpecificResults![0]!.MatchedStatements!;
    expect(statement).toMatchObject({ SourcePolicyType: 'role', StartPosition: { Line: 1 }, EndPosition: { Line: 1 } });
    expect(roleNamed('ProvisionerRole').policies.map((p) => p.name)).toContain(statement!.SourcePolicyId);
    expect(statement!.EndPosition!.Column!).toBeGreaterThan(statement!.StartPosition!.Column!);
  });

  it('denies a policy above the ceiling whatever the context says about the entry', async () => {
    const admin = journal[3]!;
    const context = await sandbox.iam!.requestContext(admin.identity, admin.request, admin.call);
    expect((await simulate(admin.request.action, admin.request.resource, context)).EvalDecision).not.toBe('allowed');
    // The same request for Edit, everything else equal, is allowed: the ceiling is what refuses.
    expect((await simulate(admin.request.action, admin.request.resource, { ...context, 'eks:policyArn': POLICY('AmazonEKSEditPolicy') })).EvalDecision).toBe('allowed');
  });

  it('without context entries, a conditional grant is an implicit deny that lists the missing keys', async () => {
    const create = journal[0]!;
    const result = await simulate(create.request.action, create.request.resource);
    const specific = result.ResourceSpecificResults![0]!;
    expect(result.EvalDecision).toBe('implicitDeny');
    expect(specific.EvalResourceDecision).toBe('implicitDeny');
    expect(specific.MissingContextValues).toEqual(expect.arrayContaining(['aws:RequestTag/managed-by', 'eks:accessEntryType']));
    // A foreign entry stays denied with or without its (absent) ownership tags.
    const foreign = journal[4]!;
    expect((await simulate(foreign.request.action, foreign.request.resource)).EvalDecision).toBe('implicitDeny');
  });

  it("reports missing keys at the top level when the resource is '*' (no ResourceArns), here of a PolicyInputList policy", async () => {
    const regional = JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'eks:ListClusters', Resource: '*', Condition: { StringEquals: { 'aws:RequestedRegion': REGION } } }] });
    const input = { PolicySourceArn: provisionerArn, ActionNames: ['eks:ListClusters'], PolicyInputList: [regional] };

    const without = (await iam.send(new SimulatePrincipalPolicyCommand(input))).EvaluationResults![0]!;
    const within = (await iam.send(new SimulatePrincipalPolicyCommand({ ...input, ContextEntries: entries({ 'aws:RequestedRegion': REGION }) }))).EvaluationResults![0]!;

    expect(without).toMatchObject({ EvalResourceName: '*', EvalDecision: 'implicitDeny', MissingContextValues: ['aws:RequestedRegion'] });
    expect(without.ResourceSpecificResults).toBeUndefined();
    expect(within).toMatchObject({ EvalDecision: 'allowed', MissingContextValues: [], MatchedStatements: [{ SourcePolicyId: 'PolicyInputList.1' }] });
  });
});

describe('SimulatePrincipalPolicy as the API reference documents it', () => {
  it('pages the action × resource results with MaxItems and Marker', async () => {
    const input = { PolicySourceArn: provisionerArn, ActionNames: ['iam:GetRole', 'iam:GetUser', 'iam:DeleteRole'], ResourceArns: [role('team-a')] };
    const first = await iam.send(new SimulatePrincipalPolicyCommand({ ...input, MaxItems: 2 }));
    const second = await iam.send(new SimulatePrincipalPolicyCommand({ ...input, MaxItems: 2, Marker: first.Marker }));
    expect(first.IsTruncated).toBe(true);
    expect(second.IsTruncated).toBe(false);
    expect([...first.EvaluationResults!, ...second.EvaluationResults!].map((r) => [r.EvalActionName, r.EvalDecision])).toEqual([
      ['iam:GetRole', 'allowed'],
      ['iam:GetUser', 'allowed'],
      ['iam:DeleteRole', 'implicitDeny'],
    ]);
  });

  it('answers a principal with no policies the sandbox knows (a team role, a user) with implicit denies', async () => {
    for (const arn of [role('team-a'), `arn:aws:iam::${ACCOUNT}:user/carol`]) {
      const out = await iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: arn, ActionNames: ['eks:DescribeCluster'] }));
      expect(out.EvaluationResults!.map((r) => r.EvalDecision)).toEqual(['implicitDeny']);
    }
  });

  it('refuses a principal IAM does not have (NoSuchEntity) and malformed input (InvalidInput)', async () => {
    expect(await rejectionOf(iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: role('ghost'), ActionNames: ['iam:GetRole'] })))).toBeInstanceOf(NoSuchEntityException);
    expect(await rejectionOf(iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: 'not-an-arn', ActionNames: ['iam:GetRole'] })))).toBeInstanceOf(InvalidInputException);
    expect(await rejectionOf(iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: provisionerArn, ActionNames: ['GetRole'] })))).toBeInstanceOf(InvalidInputException);
    const twoValues = { ContextKeyName: 'eks:policyArn', ContextKeyValues: ['a', 'b'], ContextKeyType: 'string' as const };
    expect(await rejectionOf(iam.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: provisionerArn, ActionNames: ['iam:GetRole'], ContextEntries: [twoValues] })))).toBeInstanceOf(
      InvalidInputException,
    );
  });

  it('is itself authorized: a role without iam:SimulatePrincipalPolicy is refused', async () => {
    const c = sandbox.iam!.issueRoleCredentials(roleNamed('ProvisionerRole').name, 'curious');
    const asRole = new IAMClient({ region: 'us-east-1', endpoint: sandbox.url, credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, sessionToken: c.sessionToken }, maxAttempts: 1 });
    const e = await rejectionOf(asRole.send(new SimulatePrincipalPolicyCommand({ PolicySourceArn: provisionerArn, ActionNames: ['iam:GetRole'] })));
    expect(e.name).toBe('AccessDenied');
    expect(e.message).toContain(`is not authorized to perform: iam:SimulatePrincipalPolicy on resource: ${provisionerArn}`);
  });
});
