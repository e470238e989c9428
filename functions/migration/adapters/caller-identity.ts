/**
 * Who the workflow's functions run as (STS GetCallerIdentity): the identity the cluster's
 * Kubernetes API sees in the EKS token, quoted when aws-auth must map it.
 */
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { EksAccessPilotError } from '#kernel/errors';
import { stsClient } from '#platform/clients';

/** The caller's ARN (an assumed-role session ARN for a Lambda function). */
export async function callerArn(client: STSClient = stsClient()): Promise<string> {
  const { Arn } = await client.send(new GetCallerIdentityCommand({}));
  if (!Arn) throw new EksAccessPilotError('STS GetCallerIdentity returned no ARN');
  return Arn;
}
