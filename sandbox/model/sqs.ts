// Stateful model of the slice of SQS the deployment uses: the dead-letter and on-failure queues the
// app declares, their attributes and message counts, and the minimal message operations an
// operator uses on them (send, receive, delete, purge). Rules cite the SQS API reference (the
// operation pages, carried by the SDK's service model) and the SQS Developer Guide.
import { createHash, randomUUID } from 'node:crypto';
import {
  InvalidAddress,
  InvalidAttributeName,
  PurgeQueueInProgress,
  QueueDoesNotExist,
  ReceiptHandleIsInvalid,
  SQSServiceException,
  type GetQueueAttributesRequest,
  type GetQueueAttributesResult,
  type GetQueueUrlRequest,
  type GetQueueUrlResult,
  type ListQueuesRequest,
  type ListQueuesResult,
  type Message,
  type ReceiveMessageRequest,
  type ReceiveMessageResult,
  type SendMessageRequest,
  type SendMessageResult,
} from '@aws-sdk/client-sqs';
import { partitionOf } from '#kernel/partition';
import { count, decodeToken, encodeToken } from './errors.ts';

const meta = () => ({ $metadata: {} });

/** SQS codes its model does not declare (InvalidParameterValue, MissingParameter): the base exception with the code as name. */
const undeclared = (name: string, message: string) => new SQSServiceException({ name, $fault: 'client', message, ...meta() });

export interface QueueSeed {
  name: string;
  region: string;
  /** Attributes as GetQueueAttributes returns them (strings), e.g. MessageRetentionPeriod. */
  attributes?: Record<string, string>;
}

interface StoredMessage {
  id: string;
  body: string;
  md5: string;
  sentAt: number;
  visibleAt: number;
  receiveCount: number;
  firstReceivedAt?: number;
  receiptHandle?: string;
}

interface QueueRecord {
  name: string;
  region: string;
  createdAt: number;
  attributes: Record<string, string>;
  messages: StoredMessage[];
  lastPurge?: number;
}

/** Attribute names GetQueueAttributes accepts (SQS API reference, QueueAttributeName). */
const ATTRIBUTE_NAMES = [
  'All', 'Policy', 'VisibilityTimeout', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ApproximateNumberOfMessages',
  'ApproximateNumberOfMessagesNotVisible', 'CreatedTimestamp', 'LastModifiedTimestamp', 'QueueArn', 'ApproximateNumberOfMessagesDelayed',
  'DelaySeconds', 'ReceiveMessageWaitTimeSeconds', 'RedrivePolicy', 'FifoQueue', 'ContentBasedDeduplication', 'KmsMasterKeyId',
  'KmsDataKeyReusePeriodSeconds', 'DeduplicationScope', 'FifoThroughputLimit', 'RedriveAllowPolicy', 'SqsManagedSseEnabled',
];

/**
 * A new queue's defaults (SQS API reference, CreateQueue, Attributes): visibility timeout 30 s,
 * retention 4 days, no delay, no long polling, messages up to 1 MiB (SendMessage: "The maximum size
 * is 1 MiB or 1,048,576 bytes").
 */
const DEFAULTS: Record<string, string> = {
  VisibilityTimeout: '30',
  MaximumMessageSize: '1048576',
  MessageRetentionPeriod: '345600',
  DelaySeconds: '0',
  ReceiveMessageWaitTimeSeconds: '0',
};

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

export class SqsModel {
  readonly calls = new Map<string, number>();
  private readonly queues = new Map<string, QueueRecord>();
  /** Where queue URLs point: the sandbox's own origin once it serves SQS (the SDK sends each call to its QueueUrl's host). */
  private origin: ((region: string) => string) | undefined;

  constructor(
    readonly accountId: string,
    private readonly now: () => number = () => Date.now(),
  ) {}

  /** Queue URLs use this origin from now on (the sandbox's URL), instead of `https://sqs.<region>.amazonaws.com`. */
  serveAt(origin: string): void {
    this.origin = () => origin;
  }

  createQueue(seed: QueueSeed): string {
    const at = this.now();
    const attributes = { ...DEFAULTS, ...seed.attributes };
    this.queues.set(`${seed.region}/${seed.name}`, { name: seed.name, region: seed.region, createdAt: at, attributes, messages: [] });
    return this.url(seed.region, seed.name);
  }

  /** The queue's URL: `<origin>/<account>/<name>` (SQS Developer Guide, "Amazon SQS queue and message identifiers"). */
  url(region: string, name: string): string {
    return `${this.origin?.(region) ?? `https://sqs.${region}.amazonaws.com`}/${this.accountId}/${name}`;
  }

  arn(region: string, name: string): string {
    return `arn:${partitionOf(region)}:sqs:${region}:${this.accountId}:${name}`;
  }

  /**
   * ListQueues: the Region's queues by name prefix; NextToken only when MaxResults (1–1,000) was
   * set and more remain (SQS API reference, ListQueues).
   */
  listQueues(region: string, input: ListQueuesRequest = {}): ListQueuesResult {
    return this.call('ListQueues', () => {
      const all = [...this.queues.values()].filter((q) => q.region === region && q.name.startsWith(input.QueueNamePrefix ?? '')).sort((a, b) => (a.name < b.name ? -1 : 1));
      if (input.MaxResults === undefined) return all.length ? { QueueUrls: all.slice(0, 1000).map((q) => this.url(q.region, q.name)) } : {};
      if (!Number.isInteger(input.MaxResults) || input.MaxResults < 1 || input.MaxResults > 1000) {
        throw undeclared('InvalidParameterValue', `Value ${input.MaxResults} for parameter MaxResults is invalid. Reason: MaxResults must be an integer between 1 and 1000.`);
      }
      const start = input.NextToken === undefined ? 0 : decodeToken(input.NextToken);
      if (start === undefined) throw undeclared('InvalidParameterValue', 'Invalid NextToken value.');
      const items = all.slice(start, start + input.MaxResults);
      const next = start + input.MaxResults < all.length ? encodeToken(start + input.MaxResults) : undefined;
      return { ...(items.length ? { QueueUrls: items.map((q) => this.url(q.region, q.name)) } : {}), ...(next ? { NextToken: next } : {}) };
    });
  }

  /** GetQueueUrl by name (SQS API reference, GetQueueUrl; QueueDoesNotExist). */
  getQueueUrl(region: string, input: GetQueueUrlRequest): GetQueueUrlResult {
    return this.call('GetQueueUrl', () => {
      const owner = input.QueueOwnerAWSAccountId ?? this.accountId;
      const q = owner === this.accountId ? this.queues.get(`${region}/${input.QueueName ?? ''}`) : undefined;
      if (!q) throw doesNotExist();
      return { QueueUrl: this.url(q.region, q.name) };
    });
  }

  /**
   * GetQueueAttributes: only the named attributes ("if you don't specify values for this parameter,
   * the request returns empty results"; `All` returns every one); an unknown name is
   * InvalidAttributeName (SQS API reference, GetQueueAttributes). The approximate counts are exact here.
   */
  getQueueAttributes(region: string, input: GetQueueAttributesRequest): GetQueueAttributesResult {
    return this.call('GetQueueAttributes', () => {
      const q = this.queue(region, input.QueueUrl);
      const names = input.AttributeNames ?? [];
      for (const n of names) if (!ATTRIBUTE_NAMES.includes(n)) throw new InvalidAttributeName({ message: `Unknown Attribute ${n}.`, ...meta() });
      if (names.length === 0) return {};
      const all = this.attributesOf(q);
      const wanted = names.includes('All') ? Object.keys(all) : names;
      const out = Object.fromEntries(wanted.filter((n) => all[n] !== undefined).map((n) => [n, all[n]!]));
      return Object.keys(out).length ? { Attributes: out } : {};
    });
  }

  /** SendMessage: the message and the MD5 of its body, which the SDK checks (SQS API reference, SendMessage). */
  sendMessage(region: string, input: SendMessageRequest): SendMessageResult {
    return this.call('SendMessage', () => {
      const q = this.queue(region, input.QueueUrl);
      const body = input.MessageBody ?? '';
      if (body.length === 0) throw undeclared('MissingParameter', 'The request must contain the parameter MessageBody.');
      const max = Number(q.attributes.MaximumMessageSize);
      if (Buffer.byteLength(body, 'utf8') > max) throw undeclared('InvalidParameterValue', `One or more parameters are invalid. Reason: Message must be shorter than ${max} bytes.`);
      const at = this.now();
      const delay = (input.DelaySeconds ?? Number(q.attributes.DelaySeconds)) * 1000;
      const m: StoredMessage = { id: randomUUID(), body, md5: md5(body), sentAt: at, visibleAt: at + delay, receiveCount: 0 };
      q.messages.push(m);
      return { MessageId: m.id, MD5OfMessageBody: m.md5 };
    });
  }

  /**
   * ReceiveMessage: up to MaxNumberOfMessages (1–10, default 1) visible messages, each hidden for
   * the visibility timeout and given a new receipt handle (SQS API reference, ReceiveMessage). The
   * sandbox does not wait for WaitTimeSeconds: it answers at once.
   */
  receiveMessage(region: string, input: ReceiveMessageRequest): ReceiveMessageResult {
    return this.call('ReceiveMessage', () => {
      const q = this.queue(region, input.QueueUrl);
      const max = input.MaxNumberOfMessages ?? 1;
      if (!Number.isInteger(max) || max < 1 || max > 10) {
        throw undeclared('InvalidParameterValue', `Value ${max} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`);
      }
      const at = this.now();
      const visibility = (input.VisibilityTimeout ?? Number(q.attributes.VisibilityTimeout)) * 1000;
      const wanted = [...(input.MessageSystemAttributeNames ?? []), ...(input.AttributeNames ?? [])] as string[];
      const messages: Message[] = [];
      for (const m of q.messages.filter((x) => x.visibleAt <= at).slice(0, max)) {
        m.receiveCount += 1;
        m.firstReceivedAt ??= at;
        m.visibleAt = at + visibility;
        m.receiptHandle = Buffer.from(`${m.id}:${randomUUID()}`).toString('base64');
        const attrs: Record<string, string> = {
          SentTimestamp: String(m.sentAt),
          ApproximateReceiveCount: String(m.receiveCount),
          ApproximateFirstReceiveTimestamp: String(m.firstReceivedAt),
        };
        const chosen = wanted.includes('All') ? attrs : Object.fromEntries(Object.entries(attrs).filter(([k]) => wanted.includes(k)));
        messages.push({ MessageId: m.id, ReceiptHandle: m.receiptHandle, MD5OfBody: m.md5, Body: m.body, ...(Object.keys(chosen).length ? { Attributes: chosen } : {}) });
      }
      return messages.length ? { Messages: messages } : {};
    });
  }

  /**
   * DeleteMessage by receipt handle. "If you use an old ReceiptHandle, the request will succeed, but
   * the message might not be deleted"; a handle SQS never issued is ReceiptHandleIsInvalid (SQS API
   * reference, DeleteMessage).
   */
  deleteMessage(region: string, input: { QueueUrl: string | undefined; ReceiptHandle: string | undefined }): Record<string, never> {
    return this.call('DeleteMessage', () => {
      const q = this.queue(region, input.QueueUrl);
      const handle = input.ReceiptHandle ?? '';
      const id = /^([0-9a-f-]{36}):/.exec(Buffer.from(handle, 'base64').toString('utf8'))?.[1];
      if (!id) throw new ReceiptHandleIsInvalid({ message: `The input receipt handle "${handle}" is not a valid receipt handle.`, ...meta() });
      q.messages = q.messages.filter((m) => !(m.id === id && m.receiptHandle === handle));
      return {};
    });
  }

  /**
   * PurgeQueue deletes every message; a second purge within 60 seconds is PurgeQueueInProgress
   * (SQS API reference, PurgeQueue).
   */
  purgeQueue(region: string, input: { QueueUrl: string | undefined }): Record<string, never> {
    return this.call('PurgeQueue', () => {
      const q = this.queue(region, input.QueueUrl);
      const at = this.now();
      if (q.lastPurge !== undefined && at - q.lastPurge < 60_000) {
        throw new PurgeQueueInProgress({ message: `Only one PurgeQueue operation on ${q.name} is allowed every 60 seconds.`, ...meta() });
      }
      q.lastPurge = at;
      q.messages = [];
      return {};
    });
  }

  /** Sends to a queue named by its ARN: how Lambda and EventBridge deliver to a destination or dead-letter queue. */
  sendToArn(arn: string, body: string): void {
    const m = /^arn:[^:]+:sqs:([^:]+):(\d{12}):(.+)$/.exec(arn);
    if (!m || m[2] !== this.accountId || !this.queues.has(`${m[1]}/${m[3]}`)) throw doesNotExist();
    this.sendMessage(m[1]!, { QueueUrl: this.url(m[1]!, m[3]!), MessageBody: body });
  }

  private attributesOf(q: QueueRecord): Record<string, string> {
    const at = this.now();
    const delayed = q.messages.filter((m) => m.receiveCount === 0 && m.visibleAt > at).length;
    const inFlight = q.messages.filter((m) => m.receiveCount > 0 && m.visibleAt > at).length;
    return {
      ...q.attributes,
      QueueArn: this.arn(q.region, q.name),
      ApproximateNumberOfMessages: String(q.messages.length - delayed - inFlight),
      ApproximateNumberOfMessagesNotVisible: String(inFlight),
      ApproximateNumberOfMessagesDelayed: String(delayed),
      CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
      LastModifiedTimestamp: String(Math.floor(q.createdAt / 1000)),
    };
  }

  /**
   * The queue a QueueUrl names: `/<account>/<name>` on any host (the sandbox's, or SQS's own
   * `sqs.<region>.amazonaws.com`, whose Region then decides); otherwise InvalidAddress.
   */
  private queue(region: string, queueUrl: string | undefined): QueueRecord {
    let url: URL;
    try {
      url = new URL(queueUrl ?? '');
    } catch {
      throw new InvalidAddress({ message: `The address ${queueUrl ?? ''} is not valid for this endpoint.`, ...meta() });
    }
    const m = /^\/(\d{12})\/([^/]+)$/.exec(url.pathname);
    if (!m) throw new InvalidAddress({ message: `The address ${queueUrl ?? ''} is not valid for this endpoint.`, ...meta() });
    const hostRegion = /^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$/.exec(url.hostname)?.[1];
    const q = m[1] === this.accountId ? this.queues.get(`${hostRegion ?? region}/${decodeURIComponent(m[2]!)}`) : undefined;
    if (!q) throw doesNotExist();
    return q;
  }

  private call<T>(operation: string, run: () => T): T {
    count(this.calls, operation);
    return run();
  }
}

/** The message SQS sends (SQS API reference, QueueDoesNotExist; wire code AWS.SimpleQueueService.NonExistentQueue). */
function doesNotExist(): QueueDoesNotExist {
  return new QueueDoesNotExist({ message: 'The specified queue does not exist.', ...meta() });
}
