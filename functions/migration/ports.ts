/**
 * What the migration's task handlers talk to, as ports with production defaults. Tests pass the
 * in-process model of AWS and Kubernetes instead (test/workflow/world.ts).
 */
import type { EKSClient } from '@aws-sdk/client-eks';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { eksClient, iamClient } from '#adapters/clients';
import { awsAuthStore, coreApi, type AwsAuthStore } from '#adapters/k8s';
import { s3Client } from '#adapters/s3';

export interface KubernetesTarget {
  clusterName: string;
  region: string;
  endpoint: string;
  caData: string;
}

export interface MigrationPorts {
  eks(region: string): EKSClient;
  iam(): IAMClient;
  s3(): S3Client;
  /** The aws-auth ConfigMap of a cluster, through its Kubernetes API. */
  awsAuth(target: KubernetesTarget): Promise<AwsAuthStore>;
  /** The ARN of the identity the workflow's Lambdas run as (STS GetCallerIdentity). */
  callerArn(): Promise<string>;
  now(): Date;
}

let sts: STSClient | undefined;

export const productionPorts: MigrationPorts = {
  eks: eksClient,
  iam: iamClient,
  s3: s3Client,
  async awsAuth(target) {
    return awsAuthStore(await coreApi(target));
  },
  async callerArn() {
    sts ??= new STSClient({});
    const { Arn } = await sts.send(new GetCallerIdentityCommand({}));
    if (!Arn) throw new Error('STS GetCallerIdentity returned no ARN');
    return Arn;
  },
  now: () => new Date(),
};
