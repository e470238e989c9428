import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  DisassociateAccessPolicyCommand,
  EKSClient,
  InvalidParameterException,
  InvalidRequestException,
  ListAccessEntriesCommand,
  ListAccessPoliciesCommand,
  ListAssociatedAccessPoliciesCommand,
  ListTagsForResourceCommand,
  ResourceInUseException,
  ResourceLimitExceededException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAccessEntryCommand,
} from '@aws-sdk/client-eks';
import { DeleteRoleCommand } from '@aws-sdk/client-iam';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ACCESS_ENTRIES_PER_CLUSTER } from '#sandbox/model/eks';
import { ACCOUNT, REGION, createWorld, policy, rejectionOf, type World } from './world.ts';

const CLUSTER = 'prod';
let w: World;

beforeEach(() => {
  w = createWorld();
  w.model.eks.addCluster({ name: CLUSTER, region: REGION, authenticationMode: 'API_AND_CONFIG_MAP', version: '1.31', platformVersion: 'eks.5' });
});
afterEach(() => w.mocks.restore());

const create = (principalArn: string, extra: Partial<ConstructorParameters<typeof CreateAccessEntryCommand>[0]> = {}) =>
  w.eks.send(new CreateAccessEntryCommand({ clusterName: CLUSTER, principalArn, ...extra }));

describe('EksModel access entries: CONFIG_MAP mode', () => {
  it('rejects every access-entry call with InvalidRequestException and EKS wording', async () => {
    w.model.eks.addCluster({ name: 'legacy', region: REGION, authenticationMode: 'CONFIG_MAP', version: '1.31', platformVersion: 'eks.5' });
    const arn = await w.createRole('dev');
    const calls = [
      w.eks.send(new CreateAccessEntryCommand({ clusterName: 'legacy', principalArn: arn })),
      w.eks.send(new DescribeAccessEntryCommand({ clusterName: 'legacy', principalArn: arn })),
      w.eks.send(new ListAccessEntriesCommand({ clusterName: 'legacy' })),
      w.eks.send(new UpdateAccessEntryCommand({ clusterName: 'legacy', principalArn: arn, kubernetesGroups: [] })),
      w.eks.send(new DeleteAccessEntryCommand({ clusterName: 'legacy', principalArn: arn })),
      w.eks.send(
        new AssociateAccessPolicyCommand({ clusterName: 'legacy', principalArn: arn, policyArn: policy('AmazonEKSViewPolicy'), accessScope: { type: 'cluster' } }),
      ),
      w.eks.send(new ListAssociatedAccessPoliciesCommand({ clusterName: 'legacy', principalArn: arn })),
    ];
    for (const call of calls) {
      const err = await rejectionOf(call);
      expect(err).toBeInstanceOf(InvalidRequestException);
      expect(err.message).toBe("The cluster's authentication mode must be set to one of [API, API_AND_CONFIG_MAP] to perform this operation.");
    }
  });
});

describe('EksModel access entries: create and describe', () => {
  it('defaults to STANDARD with the assumed-role username, path removed, and an access-entry ARN', async () => {
    const arn = await w.createRole('dev', '/teams/a/');
    const { accessEntry } = await create(arn);
    expect(accessEntry).toMatchObject({
      clusterName: CLUSTER,
      principalArn: arn,
      type: 'STANDARD',
      username: `arn:aws:sts::${ACCOUNT}:assumed-role/dev/{{SessionName}}`,
      kubernetesGroups: [],
    });
    expect(accessEntry!.accessEntryArn).toMatch(
      new RegExp(`^arn:aws:eks:${REGION}:${ACCOUNT}:access-entry/${CLUSTER}/role/${ACCOUNT}/dev/[0-9a-f-]{36}$`),
    );
  });

  it('uses the user ARN as the default username of a user', async () => {
    const arn = await w.createUser('alice');
    const { accessEntry } = await create(arn);
    expect(accessEntry!.username).toBe(arn);
  });

  it('allows one entry per principal: a second create is ResourceInUseException', async () => {
    const arn = await w.createRole('dev');
    await create(arn);
    const err = await rejectionOf(create(arn));
    expect(err).toBeInstanceOf(ResourceInUseException);
  });

  it('holds a cluster to 3,000 access entries, the ones EKS made counted: the next create is ResourceLimitExceededException', async () => {
    // arrange: EKS's own node entry plus 2,999 others (another account's roles, taken to exist)
    const nodeRole = await w.createRole('full-nodes');
    w.model.eks.addCluster({ name: 'full', region: REGION, authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12', nodeRoleArns: [nodeRole] });
    const bulk = (i: number) => `arn:aws:iam::444455556666:role/bulk-${i}`;
    for (let i = 0; i < ACCESS_ENTRIES_PER_CLUSTER - 1; i++) w.model.eks.createAccessEntry(REGION, { clusterName: 'full', principalArn: bulk(i) });
    const dev = await w.createRole('dev');
    const createOn = (principalArn: string) => w.eks.send(new CreateAccessEntryCommand({ clusterName: 'full', principalArn }));

    // act
    const err = await rejectionOf(createOn(dev));

    // assert: refused, nothing created; an existing principal is still ResourceInUseException;
    // a delete makes room again; another cluster is not affected
    expect(err).toBeInstanceOf(ResourceLimitExceededException);
    expect(() => w.model.eks.describeAccessEntry(REGION, { clusterName: 'full', principalArn: dev })).toThrow(ResourceNotFoundException);
    expect(w.model.eks.describeAccessEntry(REGION, { clusterName: 'full', principalArn: nodeRole }).accessEntry?.type).toBe('EC2_LINUX');
    expect(await rejectionOf(createOn(bulk(0)))).toBeInstanceOf(ResourceInUseException);
    await w.eks.send(new DeleteAccessEntryCommand({ clusterName: 'full', principalArn: bulk(0) }));
    await expect(createOn(dev)).resolves.toBeDefined();
    expect(await rejectionOf(createOn(bulk(0)))).toBeInstanceOf(ResourceLimitExceededException);
    await expect(create(dev)).resolves.toBeDefined();
  });

  it('refuses a principal that does not exist, or a pathed role named without its path', async () => {
    const pathed = await w.createRole('AWSReservedSSO_Admin_1', '/aws-reserved/sso.amazonaws.com/');
    for (const arn of [`arn:aws:iam::${ACCOUNT}:role/ghost`, `arn:aws:iam::${ACCOUNT}:role/AWSReservedSSO_Admin_1`]) {
      const err = await rejectionOf(create(arn));
      expect(err).toBeInstanceOf(InvalidParameterException);
      expect(err.message).toBe('The specified principalArn is invalid: invalid principal.');
    }
    await expect(create(pathed)).resolves.toBeDefined();
  });

  it('refuses STS session ARNs and service-linked roles', async () => {
    for (const arn of [`arn:aws:sts::${ACCOUNT}:assumed-role/dev/session`, `arn:aws:iam::${ACCOUNT}:role/aws-service-role/eks.amazonaws.com/AWSServiceRoleForAmazonEKS`]) {
      expect(await rejectionOf(create(arn))).toBeInstanceOf(InvalidParameterException);
    }
  });

  it('refuses kubernetes groups that start with system:', async () => {
    const arn = await w.createRole('dev');
    const err = await rejectionOf(create(arn, { kubernetesGroups: ['ok', 'system:masters'] }));
    expect(err).toBeInstanceOf(InvalidParameterException);
    expect(err.message).toBe('The kubernetes group name system:masters is invalid, it cannot start with system:');
  });

  it('gives node types EKS-chosen usernames and the system:nodes group, and refuses groups or username on them', async () => {
    const node = await w.createRole('node');
    const fargate = await w.createRole('fargate');
    expect((await create(node, { type: 'EC2_LINUX' })).accessEntry).toMatchObject({
      username: 'system:node:{{EC2PrivateDNSName}}',
      kubernetesGroups: ['system:nodes'],
    });
    expect((await create(fargate, { type: 'FARGATE_LINUX' })).accessEntry!.username).toBe('system:node:{{SessionName}}');
    const other = await w.createRole('other');
    expect(await rejectionOf(create(other, { type: 'EC2_WINDOWS', kubernetesGroups: ['x'] }))).toBeInstanceOf(InvalidParameterException);
    expect(await rejectionOf(create(other, { type: 'EC2_WINDOWS', username: 'x' }))).toBeInstanceOf(InvalidParameterException);
    const user = await w.createUser('u');
    expect(await rejectionOf(create(user, { type: 'EC2_LINUX' }))).toBeInstanceOf(InvalidParameterException);
  });

  it('applies the custom username rules: reserved prefixes, and a colon before {{SessionName}}', async () => {
    const arn = await w.createRole('dev');
    for (const username of ['system:dev', 'eks:x', 'aws:x', 'amazon:x', 'iam:x', 'john{{SessionName}}']) {
      expect(await rejectionOf(create(arn, { username }))).toBeInstanceOf(InvalidParameterException);
    }
    const { accessEntry } = await create(arn, { username: 'dev:{{SessionNameRaw}}' });
    expect(accessEntry!.username).toBe('dev:{{SessionNameRaw}}');
  });

  it('answers ResourceNotFoundException for an unknown entry, and for an unknown cluster', async () => {
    const err = await rejectionOf(w.eks.send(new DescribeAccessEntryCommand({ clusterName: CLUSTER, principalArn: `arn:aws:iam::${ACCOUNT}:role/x` })));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect(err.message).toContain('The specified principalArn could not be found.');
    const noCluster = await rejectionOf(w.eks.send(new ListAccessEntriesCommand({ clusterName: 'nope' })));
    expect(noCluster).toBeInstanceOf(ResourceNotFoundException);
  });

  it('keeps clusters apart by region: the same name in another region is another cluster', async () => {
    const arn = await w.createRole('dev');
    await create(arn);
    const other = new EKSClient({ region: 'us-west-2' });
    expect(await rejectionOf(other.send(new ListAccessEntriesCommand({ clusterName: CLUSTER })))).toBeInstanceOf(ResourceNotFoundException);
  });
});

describe('EksModel access entries: list, update, delete', () => {
  it('paginates ListAccessEntries with maxResults/nextToken and filters by associated policy', async () => {
    const arns = [];
    for (const n of ['a', 'b', 'c', 'd', 'e']) arns.push(await w.createRole(n));
    for (const arn of arns) await create(arn);
    for (const arn of arns.slice(0, 2)) {
      await w.eks.send(new AssociateAccessPolicyCommand({ clusterName: CLUSTER, principalArn: arn, policyArn: policy('AmazonEKSViewPolicy'), accessScope: { type: 'cluster' } }));
    }
    const seen: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await w.eks.send(new ListAccessEntriesCommand({ clusterName: CLUSTER, maxResults: 2, nextToken }));
      expect(out.accessEntries!.length).toBeLessThanOrEqual(2);
      seen.push(...out.accessEntries!);
      nextToken = out.nextToken;
    } while (nextToken);
    expect(seen.sort()).toEqual([...arns].sort());

    const viewers = await w.eks.send(new ListAccessEntriesCommand({ clusterName: CLUSTER, associatedPolicyArn: policy('AmazonEKSViewPolicy') }));
    expect(viewers.accessEntries!.sort()).toEqual(arns.slice(0, 2).sort());
    expect(await rejectionOf(w.eks.send(new ListAccessEntriesCommand({ clusterName: CLUSTER, maxResults: 101 })))).toBeInstanceOf(
      InvalidParameterException,
    );
  });

  it('refuses a tag it cannot take on CreateAccessEntry with InvalidParameterException (its model has no BadRequestException)', async () => {
    const arn = await w.createRole('dev');
    const err = await rejectionOf(create(arn, { tags: { 'aws:owner': 'x' } }));
    expect(err).toBeInstanceOf(InvalidParameterException);
    expect(err.message).toBe('Tag keys cannot start with aws:');
  });

  it('resets what UpdateAccessEntry leaves out: omitted groups become none, an omitted username the default (terraform-provider-aws#36480)', async () => {
    const arn = await w.createRole('dev');
    const update = (input: { kubernetesGroups?: string[]; username?: string }) =>
      w.eks.send(new UpdateAccessEntryCommand({ clusterName: CLUSTER, principalArn: arn, ...input }));
    await create(arn, { kubernetesGroups: ['readers'], username: 'dev:{{SessionName}}' });

    const groupsOnly = (await update({ kubernetesGroups: ['writers'] })).accessEntry;
    expect(groupsOnly).toMatchObject({ kubernetesGroups: ['writers'], username: `arn:aws:sts::${ACCOUNT}:assumed-role/dev/{{SessionName}}` });

    const usernameOnly = (await update({ username: 'dev:{{SessionName}}' })).accessEntry;
    expect(usernameOnly).toMatchObject({ kubernetesGroups: [], username: 'dev:{{SessionName}}' });

    const both = (await update({ kubernetesGroups: ['writers'], username: 'dev:{{SessionName}}' })).accessEntry;
    expect(both).toMatchObject({ kubernetesGroups: ['writers'], username: 'dev:{{SessionName}}' });
  });

  it('keeps a node entry as EKS made it on an empty update, and refuses a system: username first (terraform-aws-eks-blueprints#2004)', async () => {
    const node = await w.createRole('node');
    await create(node, { type: 'EC2_LINUX' });
    const { accessEntry } = await w.eks.send(new UpdateAccessEntryCommand({ clusterName: CLUSTER, principalArn: node }));
    expect(accessEntry).toMatchObject({ kubernetesGroups: ['system:nodes'], username: 'system:node:{{EC2PrivateDNSName}}' });
    const err = await rejectionOf(
      w.eks.send(new UpdateAccessEntryCommand({ clusterName: CLUSTER, principalArn: node, kubernetesGroups: [], username: 'system:node:{{EC2PrivateDNSName}}' })),
    );
    expect(err).toBeInstanceOf(InvalidParameterException);
    expect(err.message).toBe('The username must not begin with system:');
  });

  it('updates groups and username of a STANDARD entry, and refuses both on node entries', async () => {
    const arn = await w.createRole('dev');
    await create(arn, { kubernetesGroups: ['readers'] });
    const { accessEntry } = await w.eks.send(new UpdateAccessEntryCommand({ clusterName: CLUSTER, principalArn: arn, kubernetesGroups: ['writers'], username: 'dev:{{SessionName}}' }));
    expect(accessEntry).toMatchObject({ kubernetesGroups: ['writers'], username: 'dev:{{SessionName}}' });
    const node = await w.createRole('node');
    await create(node, { type: 'EC2_LINUX' });
    expect(await rejectionOf(w.eks.send(new UpdateAccessEntryCommand({ clusterName: CLUSTER, principalArn: node, kubernetesGroups: ['x'] })))).toBeInstanceOf(
      InvalidParameterException,
    );
  });

  it('deletes an entry with its associations: a recreated entry starts with none', async () => {
    const arn = await w.createRole('dev');
    await create(arn);
    await w.eks.send(new AssociateAccessPolicyCommand({ clusterName: CLUSTER, principalArn: arn, policyArn: policy('AmazonEKSEditPolicy'), accessScope: { type: 'cluster' } }));
    await w.eks.send(new DeleteAccessEntryCommand({ clusterName: CLUSTER, principalArn: arn }));
    await create(arn);
    const out = await w.eks.send(new ListAssociatedAccessPoliciesCommand({ clusterName: CLUSTER, principalArn: arn }));
    expect(out.associatedAccessPolicies).toEqual([]);
    expect(await rejectionOf(w.eks.send(new DeleteAccessEntryCommand({ clusterName: CLUSTER, principalArn: `arn:aws:iam::${ACCOUNT}:role/x` })))).toBeInstanceOf(
      ResourceNotFoundException,
    );
  });

  it('reports an entry as no longer effective once its role is recreated (new unique ID)', async () => {
    const arn = await w.createRole('dev');
    await create(arn);
    expect(w.model.eks.isAccessEntryEffective(REGION, CLUSTER, arn)).toBe(true);
    await w.iam.send(new DeleteRoleCommand({ RoleName: 'dev' }));
    await w.createRole('dev');
    expect(w.model.eks.isAccessEntryEffective(REGION, CLUSTER, arn)).toBe(false);
  });
});

describe('EksModel access policies', () => {
  it('replaces the scope when the same policy is associated again, keeping one association', async () => {
    const arn = await w.createRole('dev');
    await create(arn);
    const view = policy('AmazonEKSViewPolicy');
    await w.eks.send(new AssociateAccessPolicyCommand({ clusterName: CLUSTER, principalArn: arn, policyArn: view, accessScope: { type: 'cluster' } }));
    await w.eks.send(
      new AssociateAccessPolicyCommand({ clusterName: CLUSTER, principalArn: arn, policyArn: view, accessScope: { type: 'namespace', namespaces: ['team-a'] } }),
    );
    const out = await w.eks.send(new ListAssociatedAccessPoliciesCommand({ clusterName: CLUSTER, principalArn: arn }));
    expect(out.associatedAccessPolicies).toHaveLength(1);
    expect(out.associatedAccessPolicies![0]!.accessScope).toEqual({ type: 'namespace', namespaces: ['team-a'] });
  });

  it('refuses unknown policy ARNs (ResourceNotFoundException), service-linked-only policies, bad scopes and node entries', async () => {
    const arn = await w.createRole('dev');
    await create(arn);
    const assoc = (policyArn: string, accessScope: { type: 'cluster' | 'namespace'; namespaces?: string[] }, principalArn = arn) =>
      w.eks.send(new AssociateAccessPolicyCommand({ clusterName: CLUSTER, principalArn, policyArn, accessScope }));
    const unknown = await rejectionOf(assoc(policy('AmazonEKSGodPolicy'), { type: 'cluster' }));
    expect(unknown).toBeInstanceOf(ResourceNotFoundException);
    expect(unknown.message).toBe('The specified policyArn could not be found.');
    expect(await rejectionOf(assoc('arn:aws:eks:::cluster-access-policy/AmazonEKSViewPolicy', { type: 'cluster' }))).toBeInstanceOf(ResourceNotFoundException);
    expect(await rejectionOf(assoc(policy('AmazonEKSComputePolicy'), { type: 'cluster' }))).toBeInstanceOf(InvalidParameterException);
    expect(await rejectionOf(assoc(policy('AmazonEKSViewPolicy'), { type: 'namespace' }))).toBeInstanceOf(InvalidParameterException);
    const node = await w.createRole('node');
    await create(node, { type: 'EC2_LINUX' });
    expect(await rejectionOf(assoc(policy('AmazonEKSViewPolicy'), { type: 'cluster' }, node))).toBeInstanceOf(InvalidParameterException);
  });

  it('refuses ListAssociatedAccessPolicies on a non-STANDARD entry (aws-controllers-k8s/community#2144)', async () => {
    const node = await w.createRole('node');
    const fargate = await w.createRole('fargate');
    await create(node, { type: 'EC2_LINUX' });
    await create(fargate, { type: 'FARGATE_LINUX' });
    for (const principalArn of [node, fargate]) {
      const err = await rejectionOf(w.eks.send(new ListAssociatedAccessPoliciesCommand({ clusterName: CLUSTER, principalArn })));
      expect(err).toBeInstanceOf(InvalidParameterException);
      expect(err.message).toBe('This operation can only be performed on Access Entries with a type of "STANDARD".');
    }
  });

  it('disassociates one policy and leaves the others', async () => {
    const arn = await w.createRole('dev');
    await create(arn);
    for (const name of ['AmazonEKSViewPolicy', 'AmazonEKSEditPolicy']) {
      await w.eks.send(new AssociateAccessPolicyCommand({ clusterName: CLUSTER, principalArn: arn, policyArn: policy(name), accessScope: { type: 'cluster' } }));
    }
    await w.eks.send(new DisassociateAccessPolicyCommand({ clusterName: CLUSTER, principalArn: arn, policyArn: policy('AmazonEKSViewPolicy') }));
    const out = await w.eks.send(new ListAssociatedAccessPoliciesCommand({ clusterName: CLUSTER, principalArn: arn, maxResults: 1 }));
    expect(out.associatedAccessPolicies!.map((p) => p.policyArn)).toEqual([policy('AmazonEKSEditPolicy')]);
    expect(out.nextToken).toBeUndefined();
  });

  it('paginates ListAccessPolicies and lists the view, edit and cluster-admin policies', async () => {
    const names: string[] = [];
    let nextToken: string | undefined;
    do {
      const out = await w.eks.send(new ListAccessPoliciesCommand({ maxResults: 5, nextToken }));
      names.push(...out.accessPolicies!.map((p) => p.name!));
      nextToken = out.nextToken;
    } while (nextToken);
    expect(names).toEqual(expect.arrayContaining(['AmazonEKSViewPolicy', 'AmazonEKSEditPolicy', 'AmazonEKSClusterAdminPolicy', 'AmazonEKSAdminPolicy']));
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('EksModel tags on access entries', () => {
  it('tags at creation and through TagResource/UntagResource on the entry ARN', async () => {
    const arn = await w.createRole('dev');
    const { accessEntry } = await create(arn, { tags: { 'managed-by': 'eks-access-pilot' } });
    const resourceArn = accessEntry!.accessEntryArn!;
    await w.eks.send(new TagResourceCommand({ resourceArn, tags: { source: 'tag' } }));
    await w.eks.send(new UntagResourceCommand({ resourceArn, tagKeys: ['managed-by'] }));
    expect((await w.eks.send(new ListTagsForResourceCommand({ resourceArn }))).tags).toEqual({ source: 'tag' });
    expect((await w.eks.send(new DescribeAccessEntryCommand({ clusterName: CLUSTER, principalArn: arn }))).accessEntry!.tags).toEqual({ source: 'tag' });
  });
});
