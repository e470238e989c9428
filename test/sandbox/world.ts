// A fresh model bound to the SDK mocks, with real clients to drive it, for contract tests.
import { EKSClient } from '@aws-sdk/client-eks';
import { CreateRoleCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import { bindModelToSdkMocks, type ModelMocks } from '#sandbox/mock-binding';
import { AwsModel, type AwsModelOptions } from '#sandbox/model/index';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});
export const policy = (name: string) => `arn:aws:eks::aws:cluster-access-policy/${name}`;

export interface World {
  model: AwsModel;
  mocks: ModelMocks;
  eks: EKSClient;
  iam: IAMClient;
  createRole(name: string, path?: string): Promise<string>;
  createUser(name: string, path?: string): Promise<string>;
}

export function createWorld(options: AwsModelOptions = {}): World {
  const model = new AwsModel(options);
  const mocks = bindModelToSdkMocks(model);
  const eks = new EKSClient({ region: REGION });
  const iam = new IAMClient({ region: 'us-east-1' });
  return {
    model,
    mocks,
    eks,
    iam,
    async createRole(name, path) {
      const out = await iam.send(new CreateRoleCommand({ RoleName: name, Path: path, AssumeRolePolicyDocument: TRUST }));
      return out.Role!.Arn!;
    },
    async createUser(name, path) {
      const out = await iam.send(new CreateUserCommand({ UserName: name, Path: path }));
      return out.User!.Arn!;
    },
  };
}

/** The rejection of a promise, for asserting on class, name and message together. */
export async function rejectionOf(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail, but it succeeded');
}
