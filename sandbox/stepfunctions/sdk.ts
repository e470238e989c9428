/**
 * `aws-sdk:<service>:<action>` tasks as Step Functions runs them, for every offline runner (the
 * sandbox's HTTP server, the workflow tests, the benchmarks): the task's PascalCase parameters
 * become the SDK command's input and the output comes back PascalCase, renamed member by member
 * from the operation's Smithy schema, so map keys (tags, labels) keep their case; an error is
 * named `<Service>.<Exception>` with a cause in the AWS SDK for Java's wording (Step Functions
 * developer guide, "AWS SDK service integrations": parameter names, and "Handling errors" there).
 */
import * as eksApi from '@aws-sdk/client-eks';
import { EKSClient } from '@aws-sdk/client-eks';
import type { NormalizedSchema } from '@smithy/core/schema';
import type { Sandbox } from '../server/index.ts';
import { errorShapes, operationOf, type Operation, type StaticOperation } from '../server/smithy.ts';
import type { SdkIntegration } from './model.ts';

const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const EKS_ERRORS = errorShapes(eksApi as unknown as Record<string, unknown>);

function convert(schema: NormalizedSchema, value: unknown, direction: 'toSdk' | 'toStates'): unknown {
  if (value === null || value === undefined) return value;
  if (value instanceof Date) return value.toISOString();
  if (schema.isListSchema() && Array.isArray(value)) return value.map((v) => convert(schema.getValueSchema(), v, direction));
  if (schema.isMapSchema() && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, convert(schema.getValueSchema(), v, direction)]));
  }
  if (schema.isStructSchema() && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    const given = value as Record<string, unknown>;
    for (const [name, member] of schema.structIterator()) {
      const from = direction === 'toSdk' ? upper(name) : name;
      if (from in given) out[direction === 'toSdk' ? name : upper(name)] = convert(member, given[from], direction);
    }
    return out;
  }
  return value;
}

/**
 * A task's `Parameters` (PascalCase member names) as the SDK command's input (the model's
 * member names). Structure members are renamed; map keys are data and keep their case; names
 * the operation does not have are dropped.
 */
export function toSdkInput(operation: Operation, parameters: unknown): unknown {
  return convert(operation.input, parameters, 'toSdk');
}

/** An SDK command's output as the task's result: PascalCase members, map keys as they are, timestamps as ISO strings. */
export function toStatesOutput(operation: Operation, output: unknown): unknown {
  return convert(operation.output, output, 'toStates');
}

/**
 * The error an `aws-sdk:<service>` task fails with when the call throws `error`:
 * `<Service>.<ExceptionName>`, the cause ending `(Service: <Service>, Status Code: …, Request ID:
 * …)`. The status is the response's; for an error that carries none (an in-process client, an
 * error a test injects) it is the one the service model declares for that exception.
 */
export function sdkIntegrationError(service: string, error: unknown): Error {
  const err = (error instanceof Error ? error : new Error(String(error))) as Error & { $metadata?: { httpStatusCode?: number; requestId?: string } };
  const Service = upper(service);
  const status = err.$metadata?.httpStatusCode ?? (service === 'eks' ? EKS_ERRORS.get(err.name)?.traits.httpError : undefined) ?? 0;
  return Object.assign(new Error(`${err.message} (Service: ${Service}, Status Code: ${status}, Request ID: ${err.$metadata?.requestId ?? ''})`), {
    name: `${Service}.${err.name}`,
  });
}

/**
 * `aws-sdk:eks:<action>` tasks, each a call of the EKS client `clientFor(region)` gives, or of
 * the sandbox's EKS endpoint over HTTP when given the sandbox. No SDK retries there: Step
 * Functions makes one call per attempt and the ASL's Retry decides.
 * @returns an integration that throws `States.Runtime` for another service or an unknown action.
 */
export function eksIntegration(target: Sandbox | ((region: string) => EKSClient)): SdkIntegration {
  const clientFor = typeof target === 'function' ? target : httpClients(target);
  return async (service, action, parameters, region) => {
    if (service !== 'eks') throw Object.assign(new Error(`the sandbox serves aws-sdk:${service} integrations only for eks`), { name: 'States.Runtime' });
    const Command = (eksApi as unknown as Record<string, new (input: unknown) => unknown>)[`${upper(action)}Command`];
    const schema = (eksApi as unknown as Record<string, unknown>)[`${upper(action)}$`] as StaticOperation | undefined;
    if (!Command || !schema) throw Object.assign(new Error(`Eks has no action ${action}`), { name: 'States.Runtime' });
    const op = operationOf(schema);
    try {
      const output = await clientFor(region).send(new Command(toSdkInput(op, parameters)) as never);
      return toStatesOutput(op, output);
    } catch (e) {
      throw sdkIntegrationError(service, e);
    }
  };
}

function httpClients(sandbox: Sandbox): (region: string) => EKSClient {
  const clients = new Map<string, EKSClient>();
  const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  return (region) => {
    let client = clients.get(region);
    if (!client) clients.set(region, (client = new EKSClient({ region, endpoint: sandbox.url, credentials, maxAttempts: 1 })));
    return client;
  };
}
