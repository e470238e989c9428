/**
 * The Kubernetes half of the migration's ports (see ./ports.ts), in production: aws-auth through
 * the cluster's API with an EKS token, and the caller's identity from STS. Only the tasks that
 * talk to a cluster import this module, so only their bundles carry @kubernetes/client-node.
 */
import { awsAuthStore, coreApi } from '#migration/adapters/aws-auth-store';
import { callerArn } from '#migration/adapters/caller-identity';
import type { AwsPorts, MigrationPorts } from './ports.ts';

/** `ports` plus the production Kubernetes ports. */
export function withKubernetes(ports: AwsPorts): MigrationPorts {
  return {
    ...ports,
    async awsAuth(target) {
      return awsAuthStore(await coreApi(target));
    },
    callerArn: () => callerArn(),
  };
}
