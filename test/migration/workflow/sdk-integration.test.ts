// The `aws-sdk:eks:*` tasks of the offline runner: parameters and results are renamed member by
// member from the SDK's schema, so the keys of a map (tags) keep their case in both directions.
// The workflow tests once upper-cased the first letter of every key, tags included.
import { CreateAccessEntry$, DescribeAccessEntry$ } from '@aws-sdk/client-eks';
import { afterEach, describe, expect, it } from 'vitest';
import { operationOf, type StaticOperation } from '#sandbox/server/smithy';
import { StepFunctionsModel } from '#sandbox/stepfunctions/model';
import { eksIntegration, toSdkInput, toStatesOutput } from '#sandbox/stepfunctions/sdk';
import { ACCOUNT, CLUSTER, MigrationWorld, REGION, arnOf } from './world.ts';

const TAGS = { 'managed-by': 'eks-access-pilot', Team: 'platform', 'eks-access-pilot/source': 'migration/run-1' };

let world: MigrationWorld | undefined;
afterEach(() => world?.restore());

describe('aws-sdk:eks integration of the offline runner', () => {
  it('renames structure members to and from PascalCase and leaves the keys of a Tags map as written', () => {
    // arrange
    const create = operationOf(CreateAccessEntry$ as unknown as StaticOperation);
    const read = operationOf(DescribeAccessEntry$ as unknown as StaticOperation);

    // act
    const input = toSdkInput(create, { ClusterName: CLUSTER, PrincipalArn: arnOf.role('teamA'), KubernetesGroups: ['pod-readers'], Tags: TAGS });
    const output = toStatesOutput(read, { accessEntry: { clusterName: CLUSTER, tags: TAGS, createdAt: new Date('2026-11-22T10:00:00Z') }, $metadata: {} });

    // assert
    expect(input).toEqual({ clusterName: CLUSTER, principalArn: arnOf.role('teamA'), kubernetesGroups: ['pod-readers'], tags: TAGS });
    expect(output).toEqual({ AccessEntry: { ClusterName: CLUSTER, Tags: TAGS, CreatedAt: '2026-11-22T10:00:00.000Z' } });
  });

  it('creates an access entry from a task whose Tags keep their keys, and returns them unchanged', async () => {
    // arrange: the world's EKS client, bound to the integration exactly as the world binds it.
    const w = (world = await new MigrationWorld({ mode: 'API' }).seed());
    const sfn = new StepFunctionsModel({ accountId: ACCOUNT, region: REGION });
    const key = { ClusterName: CLUSTER, PrincipalArn: arnOf.role('teamA') };
    const stateMachineArn = sfn.createStateMachine({
      name: 'tagged-entry',
      definition: {
        StartAt: 'Create',
        States: {
          Create: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:eks:createAccessEntry', Parameters: { ...key, Tags: TAGS }, ResultPath: null, Next: 'Read' },
          Read: { Type: 'Task', Resource: 'arn:aws:states:::aws-sdk:eks:describeAccessEntry', Parameters: key, OutputPath: '$.AccessEntry', End: true },
        },
      },
      lambdas: {},
      sdk: eksIntegration((region) => w.ports.eks(region)),
    });

    // act
    const { executionArn } = sfn.startExecution({ stateMachineArn });
    await sfn.settled(executionArn);
    const done = sfn.describeExecution({ executionArn });

    // assert
    expect(done.status).toBe('SUCCEEDED');
    expect(w.entry(arnOf.role('teamA')).tags).toEqual(TAGS);
    expect(JSON.parse(done.output!)).toMatchObject({ PrincipalArn: arnOf.role('teamA'), Tags: TAGS });
  });
});
