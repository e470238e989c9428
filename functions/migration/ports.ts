/**
 * What the migration's task handlers talk to, as ports with production defaults. Tests pass the
 * in-process model of AWS and Kubernetes instead (test/migration/workflow/world.ts).
 *
 * The ports come in two halves so that each task's bundle carries only the clients it calls:
 * every task gets the AWS half (`productionPorts`, here); the four tasks that talk to a
 * cluster's Kubernetes API — describe, backup, re-check before API, rollback — add the Kubernetes half with
 * `withKubernetes` (./kubernetes-ports.ts), the only module that brings in
 * @kubernetes/client-node (~1.7 MB bundled) and STS.
 */
import type { EKSClient } from '@aws-sdk/client-eks';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsAuthStore } from '#migration/adapters/aws-auth-store';
import { eksClient, iamClient } from '#platform/clients';
import { s3Client } from '#platform/clients';

export interface KubernetesTarget {
  clusterName: string;
  region: string;
  endpoint: string;
  caData: string;
}

/** The AWS clients and the clock: what every task may use. */
export interface AwsPorts {
  eks(region: string): EKSClient;
  iam(): IAMClient;
  s3(): S3Client;
  now(): Date;
}

/** What the tasks that reach a cluster's Kubernetes API use besides the AWS ports. */
export interface KubernetesPorts {
  /** The aws-auth ConfigMap of a cluster, through its Kubernetes API. */
  awsAuth(target: KubernetesTarget): Promise<AwsAuthStore>;
  /** The ARN of the identity the workflow's Lambdas run as (STS GetCallerIdentity): who the cluster sees. */
  callerArn(): Promise<string>;
}

/** Everything any task talks to: what a test world supplies to all of them. */
export type MigrationPorts = AwsPorts & KubernetesPorts;

export const productionPorts: AwsPorts = {
  eks: eksClient,
  iam: iamClient,
  s3: s3Client,
  now: () => new Date(),
};
