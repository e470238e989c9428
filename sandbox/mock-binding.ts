// Binds the model to aws-sdk-client-mock so code under test talks to the model through its real
// SDK clients: every EKSClient/IAMClient `send` in the process is routed to the model, which
// throws the SDK's own exception classes. EKS calls are served in the calling client's region.
import {
  AssociateAccessPolicyCommand,
  CreateAccessEntryCommand,
  DeleteAccessEntryCommand,
  DescribeAccessEntryCommand,
  DescribeClusterCommand,
  DescribeUpdateCommand,
  DisassociateAccessPolicyCommand,
  EKSClient,
  ListAccessEntriesCommand,
  ListAccessPoliciesCommand,
  ListAssociatedAccessPoliciesCommand,
  ListClustersCommand,
  ListTagsForResourceCommand,
  ListUpdatesCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateAccessEntryCommand,
  UpdateClusterConfigCommand,
} from '@aws-sdk/client-eks';
import {
  CreateRoleCommand,
  CreateUserCommand,
  DeleteRoleCommand,
  DeleteUserCommand,
  GetAccountAuthorizationDetailsCommand,
  GetRoleCommand,
  GetUserCommand,
  IAMClient,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  TagRoleCommand,
  TagUserCommand,
  UntagRoleCommand,
  UntagUserCommand,
} from '@aws-sdk/client-iam';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import type { AwsModel } from '#sandbox/model/index';
import type { EksModel } from '#sandbox/model/eks';
import type { IamModel } from '#sandbox/model/iam';

export interface ModelMocks {
  eks: AwsClientStub<EKSClient>;
  iam: AwsClientStub<IAMClient>;
  /** Restores the real `send` of both clients. */
  restore(): void;
}

// A command class as aws-sdk-client-mock's `.on()` accepts it; the route tables hold several
// command classes whose input types differ, hence the cast at the `.on()` call.
type AnyCommand = Parameters<AwsClientStub<EKSClient>['on']>[0];
type IamCommand = Parameters<AwsClientStub<IAMClient>['on']>[0];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- inputs arrive untyped from the mock
type Input = any;

const EKS_ROUTES: Array<[unknown, (m: EksModel, region: string, input: Input) => object]> = [
  [DescribeClusterCommand, (m, r, i) => m.describeCluster(r, i)],
  [ListClustersCommand, (m, r, i) => m.listClusters(r, i)],
  [UpdateClusterConfigCommand, (m, r, i) => m.updateClusterConfig(r, i)],
  [DescribeUpdateCommand, (m, r, i) => m.describeUpdate(r, i)],
  [ListUpdatesCommand, (m, r, i) => m.listUpdates(r, i)],
  [CreateAccessEntryCommand, (m, r, i) => m.createAccessEntry(r, i)],
  [DescribeAccessEntryCommand, (m, r, i) => m.describeAccessEntry(r, i)],
  [ListAccessEntriesCommand, (m, r, i) => m.listAccessEntries(r, i)],
  [UpdateAccessEntryCommand, (m, r, i) => m.updateAccessEntry(r, i)],
  [DeleteAccessEntryCommand, (m, r, i) => m.deleteAccessEntry(r, i)],
  [AssociateAccessPolicyCommand, (m, r, i) => m.associateAccessPolicy(r, i)],
  [DisassociateAccessPolicyCommand, (m, r, i) => m.disassociateAccessPolicy(r, i)],
  [ListAssociatedAccessPoliciesCommand, (m, r, i) => m.listAssociatedAccessPolicies(r, i)],
  [ListAccessPoliciesCommand, (m, r, i) => m.listAccessPolicies(r, i)],
  [TagResourceCommand, (m, r, i) => m.tagResource(r, i)],
  [UntagResourceCommand, (m, r, i) => m.untagResource(r, i)],
  [ListTagsForResourceCommand, (m, r, i) => m.listTagsForResource(r, i)],
];

const IAM_ROUTES: Array<[unknown, (m: IamModel, input: Input) => object]> = [
  [CreateRoleCommand, (m, i) => m.createRole(i)],
  [GetRoleCommand, (m, i) => m.getRole(i)],
  [DeleteRoleCommand, (m, i) => m.deleteRole(i)],
  [TagRoleCommand, (m, i) => m.tagRole(i)],
  [UntagRoleCommand, (m, i) => m.untagRole(i)],
  [ListRoleTagsCommand, (m, i) => m.listRoleTags(i)],
  [CreateUserCommand, (m, i) => m.createUser(i)],
  [GetUserCommand, (m, i) => m.getUser(i)],
  [DeleteUserCommand, (m, i) => m.deleteUser(i)],
  [TagUserCommand, (m, i) => m.tagUser(i)],
  [UntagUserCommand, (m, i) => m.untagUser(i)],
  [ListUserTagsCommand, (m, i) => m.listUserTags(i)],
  [GetAccountAuthorizationDetailsCommand, (m, i) => m.getAccountAuthorizationDetails(i)],
];

const metadata = () => ({ $metadata: { httpStatusCode: 200, attempts: 1, totalRetryDelay: 0 } });

/**
 * Routes every EKSClient and IAMClient command to the model. A command the model does not serve
 * rejects with an Error naming it, so a test never silently gets `undefined` back.
 */
export function bindModelToSdkMocks(model: AwsModel): ModelMocks {
  const eks = mockClient(EKSClient);
  const iam = mockClient(IAMClient);

  // Default first: aws-sdk-client-mock lets the command-specific behaviours below take precedence.
  eks.callsFake(() => {
    throw new Error(`sandbox model: EKS command ${lastCommandName(eks)} is not modelled`);
  });
  iam.callsFake(() => {
    throw new Error(`sandbox model: IAM command ${lastCommandName(iam)} is not modelled`);
  });

  for (const [command, route] of EKS_ROUTES) {
    eks.on(command as AnyCommand).callsFake(async (input: Input, getClient) => {
      const region = await getClient().config.region();
      return { ...route(model.eks, region, input), ...metadata() };
    });
  }
  for (const [command, route] of IAM_ROUTES) {
    iam.on(command as IamCommand).callsFake(async (input: Input) => ({ ...route(model.iam, input), ...metadata() }));
  }

  return {
    eks,
    iam,
    restore() {
      eks.restore();
      iam.restore();
    },
  };
}

/** The class name of the command in the stub's most recent call (the one being served). */
function lastCommandName(stub: { send: { args: unknown[][] } }): string {
  const command = stub.send.args.at(-1)?.[0];
  return command && typeof command === 'object' ? command.constructor.name : 'unknown';
}
