/**
 * Task "Wait for approval" (`lambda:invoke.waitForTaskToken`): records the approval request —
 * the task token, the cluster and the plan — at `approvals/<cluster>/<execution>/request.json`
 * and logs how to answer it. The state then waits until an operator calls SendTaskSuccess
 * (`eks-access-pilot migrate approve`, or the CLI command in the log line) or SendTaskFailure,
 * or until its timeout, which leaves the cluster safely in API_AND_CONFIG_MAP.
 */
import * as z from 'zod';
import { documentKey, s3Location } from '#workflows/contract';
import { ObjectExistsError, documentStore } from '#migration/adapters/documents';
import { instrument, logger } from '#platform/powertools';
import { parseState } from './common.ts';
import { productionPorts, type AwsPorts } from '#migration/ports';

const EventSchema = z.object({
  taskToken: z.string().min(1),
  clusterName: z.string(),
  region: z.string(),
  executionName: z.string(),
  bucket: z.string(),
  plan: z.string(),
  backup: z.string(),
  timeoutSeconds: z.number().int(),
});

export function makeRequestApproval(ports: AwsPorts) {
  return async function requestApproval(event: unknown): Promise<{ requested: string }> {
    const e = parseState(EventSchema, event, 'Wait for approval');
    const key = documentKey('approvals', e.clusterName, e.executionName, 'request.json');
    const request = {
      cluster: e.clusterName,
      region: e.region,
      execution: e.executionName,
      requestedAt: ports.now().toISOString(),
      expiresAt: new Date(ports.now().getTime() + e.timeoutSeconds * 1000).toISOString(),
      question: `Switch ${e.clusterName} to API? aws-auth stops being read and EKS cannot switch back. Review the plan first.`,
      plan: e.plan,
      backup: e.backup,
      taskToken: e.taskToken,
      approve: 'aws stepfunctions send-task-success --task-token <taskToken> --task-output \'{"approvedBy":"<you>"}\'',
      reject: 'aws stepfunctions send-task-failure --task-token <taskToken> --error CutoverRejected --cause "<why>"',
    };
    try {
      await documentStore(ports.s3()).createJson(e.bucket, key, request);
    } catch (err) {
      if (!(err instanceof ObjectExistsError)) throw err;
    }
    logger.info('approval requested', { cluster: e.clusterName, execution: e.executionName, request: s3Location(e.bucket, key), plan: e.plan });
    return { requested: s3Location(e.bucket, key) };
  };
}

export const handler = instrument(makeRequestApproval(productionPorts), { metrics: false });
