/**
 * Check "queues": every queue the app deploys is a dead-letter queue or an on-failure destination
 * (events EventBridge could not deliver, invocations that failed after Lambda's retries), so any
 * message in one is a change that did not happen. Counts come from GetQueueAttributes
 * (approximate, SQS API reference: visible, in flight and delayed messages).
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { fail, guarded, pass, type CheckResult } from './check.ts';
import type { Deployment } from './deployment.ts';

const ID = 'queues';
const COUNTS = ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible', 'ApproximateNumberOfMessagesDelayed'] as const;

export function queueCheck(d: Deployment): Promise<CheckResult[]> {
  return guarded(ID, 'sqs:GetQueueAttributes', async () => {
    const queues = d.stacks.flatMap((s) =>
      [...s.resources].filter(([, r]) => r.type === 'AWS::SQS::Queue').map(([logicalId, r]) => ({ region: s.expected.region, logicalId, url: r.physicalId })),
    );
    const full: string[] = [];
    const fixes: string[] = [];
    for (const q of queues) {
      const { Attributes = {} } = await new SQSClient({ region: q.region }).send(new GetQueueAttributesCommand({ QueueUrl: q.url, AttributeNames: [...COUNTS] }));
      const n = COUNTS.reduce((sum, k) => sum + Number(Attributes[k] ?? 0), 0);
      if (n > 0) {
        full.push(`${n} message${n === 1 ? '' : 's'} in ${q.url.split('/').at(-1)} (${q.logicalId.replace(/[0-9A-F]{8}$/, '')}, ${q.region})`);
        fixes.push(`aws sqs receive-message --queue-url ${q.url} --region ${q.region} --max-number-of-messages 10`);
      }
    }
    if (full.length) {
      return fail(ID, full.join('; '), `read them (${fixes.join('; ')}), fix the cause (RUNBOOK, "A dead-letter queue has messages"), then let the resync repair the missed changes or run it now`);
    }
    return pass(ID, `${queues.length} dead-letter and on-failure queues empty`);
  });
}
