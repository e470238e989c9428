/**
 * Contract tests of EKS over HTTP: the real EKSClient against the sandbox server. Each pins a
 * wire rule of restJson1 (routes, URI labels, query lists, error status and header) or a
 * modelled EKS rule as the SDK sees it over the wire.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CreateAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  DescribeUpdateCommand,
  EKSClient,
  InvalidParameterException,
  InvalidRequestException,
  ListAccessEntriesCommand,
  ListTagsForResourceCommand,
  NotFoundException,
  ResourceInUseException,
  ResourceNotFoundException,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateClusterConfigCommand,
  paginateListAccessEntries,
} from '@aws-sdk/client-eks';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { signedFetch } from './signed.ts';
import { rejectionOf } from './world.ts';

const ACCOUNT = '111122223333';
const role = (path: string) => `arn:aws:iam::${ACCOUNT}:role${path}`;
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

let sandbox: Sandbox;
let eks: EKSClient;

beforeAll(async () => {
  sandbox = await startSandbox({
    seed: {
      iam: { roles: [...['a', 'b', 'c', 'd'].map((name) => ({ name })), { name: 'deployer', path: '/teams/payments/' }] },
      clusters: [
        { name: 'prod', region: 'eu-west-1', authenticationMode: 'API_AND_CONFIG_MAP', version: '1.31', platformVersion: 'eks.12' },
        { name: 'legacy', region: 'eu-west-1', authenticationMode: 'CONFIG_MAP', version: '1.29', platformVersion: 'eks.8' },
      ],
    },
    operator: credentials,
  });
  eks = new EKSClient({ region: 'eu-west-1', endpoint: sandbox.url, credentials, maxAttempts: 1 });
});
afterAll(async () => {
  eks.destroy();
  await sandbox.stop();
});

/** A raw request, SigV4-signed with the operator's key (the sandbox verifies signatures). */
function raw(path: string, init: { method?: string } = {}, region = 'eu-west-1'): Promise<Response> {
  return signedFetch(sandbox, { service: 'eks', region, path, ...(init.method ? { method: init.method } : {}) });
}

describe('EKS over HTTP (restJson1)', () => {
  it('serves a cluster in the region of the credential scope and not in another', async () => {
    const out = await eks.send(new DescribeClusterCommand({ name: 'prod' }));
    expect(out.cluster).toMatchObject({ arn: `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/prod`, status: 'ACTIVE', accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' } });
    expect(out.cluster!.createdAt).toBeInstanceOf(Date);

    const elsewhere = new EKSClient({ region: 'us-west-2', endpoint: sandbox.url, credentials, maxAttempts: 1 });
    const err = await rejectionOf(elsewhere.send(new DescribeClusterCommand({ name: 'prod' })));
    expect(err).toBeInstanceOf(ResourceNotFoundException);
    expect((err as ResourceNotFoundException).clusterName).toBe('prod');
    expect((err as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
  });

  it('answers errors with the @httpError status, the x-amzn-errortype header and the members in a JSON body', async () => {
    const res = await raw('/clusters/ghost');
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
    expect(await res.json()).toEqual({ clusterName: 'ghost', message: 'No cluster found for name: ghost.' });
  });

  it('takes a principal ARN with a path as one percent-encoded URI label', async () => {
    const arn = role('/teams/payments/deployer');
    await eks.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: arn, kubernetesGroups: ['payments'] }));
    const res = await raw(`/clusters/prod/access-entries/${encodeURIComponent(arn)}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { accessEntry: { principalArn: string } }).accessEntry.principalArn).toBe(arn);
    const out = await eks.send(new DescribeAccessEntryCommand({ clusterName: 'prod', principalArn: arn }));
    expect(out.accessEntry).toMatchObject({ principalArn: arn, kubernetesGroups: ['payments'], type: 'STANDARD' });
  });

  it('maps each modelled error to its SDK class and status', async () => {
    const dup = await rejectionOf(eks.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role('/teams/payments/deployer') })));
    expect(dup).toBeInstanceOf(ResourceInUseException);
    expect((dup as ResourceInUseException).$metadata.httpStatusCode).toBe(409);

    const configMap = await rejectionOf(eks.send(new ListAccessEntriesCommand({ clusterName: 'legacy' })));
    expect(configMap).toBeInstanceOf(InvalidRequestException);
    expect((configMap as InvalidRequestException).$metadata.httpStatusCode).toBe(400);

    const systemGroup = await rejectionOf(eks.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role('/a'), kubernetesGroups: ['system:masters'] })));
    expect(systemGroup).toBeInstanceOf(InvalidParameterException);

    const unknownArn = await rejectionOf(eks.send(new TagResourceCommand({ resourceArn: `arn:aws:eks:eu-west-1:${ACCOUNT}:cluster/ghost`, tags: { a: 'b' } })));
    expect(unknownArn).toBeInstanceOf(NotFoundException);
    expect((unknownArn as NotFoundException).$metadata.httpStatusCode).toBe(404);
  });

  it('round-trips pagination: maxResults and nextToken travel as query parameters', async () => {
    for (const p of ['/a', '/b', '/c', '/d']) await eks.send(new CreateAccessEntryCommand({ clusterName: 'prod', principalArn: role(p) }));
    const pages: string[][] = [];
    for await (const page of paginateListAccessEntries({ client: eks, pageSize: 2 }, { clusterName: 'prod' })) pages.push(page.accessEntries ?? []);
    expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
    expect(new Set(pages.flat()).size).toBe(5);

    const tooMany = await rejectionOf(eks.send(new ListAccessEntriesCommand({ clusterName: 'prod', maxResults: 101 })));
    expect(tooMany).toBeInstanceOf(InvalidParameterException);
  });

  it('sends a list query parameter (tagKeys) as repeated keys', async () => {
    const arn = (await eks.send(new DescribeClusterCommand({ name: 'prod' }))).cluster!.arn!;
    await eks.send(new TagResourceCommand({ resourceArn: arn, tags: { team: 'platform', env: 'prod', cost: '42' } }));
    await eks.send(new UntagResourceCommand({ resourceArn: arn, tagKeys: ['team', 'cost'] }));
    expect((await eks.send(new ListTagsForResourceCommand({ resourceArn: arn }))).tags).toEqual({ env: 'prod' });
  });

  it('switches the authentication mode through a nested JSON body, one update at a time', async () => {
    const { update } = await eks.send(new UpdateClusterConfigCommand({ name: 'legacy', accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' } }));
    expect(update).toMatchObject({ status: 'InProgress', type: 'AccessConfigUpdate' });
    const busy = await rejectionOf(eks.send(new UpdateClusterConfigCommand({ name: 'legacy', accessConfig: { authenticationMode: 'API' } })));
    expect(busy).toBeInstanceOf(ResourceInUseException);
    let status = update!.status;
    while (status === 'InProgress') status = (await eks.send(new DescribeUpdateCommand({ name: 'legacy', updateId: update!.id! }))).update!.status;
    expect(status).toBe('Successful');
    const skip = await rejectionOf(eks.send(new UpdateClusterConfigCommand({ name: 'legacy', accessConfig: { authenticationMode: 'CONFIG_MAP' } })));
    expect(skip).toBeInstanceOf(InvalidParameterException);
  });

  it('answers a route it does not serve with 404 and names it', async () => {
    const res = await raw('/clusters/prod/node-groups', { method: 'PUT' });
    expect(res.status).toBe(404);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
  });
});
