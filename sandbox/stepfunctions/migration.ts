/**
 * The migration state machine in the sandbox, deployed the way the CDK app deploys it: the real
 * ASL file with `definitionSubstitutions` (fake function ARNs, the backup bucket, the settings),
 * each Lambda function ARN bound to the real handler of functions/migration/*.ts with its
 * production ports — so the handlers reach EKS, IAM, S3, STS and the Kubernetes API of the
 * sandbox over HTTP, exactly as in AWS — and the `aws-sdk:eks:*` tasks served by the sandbox's
 * EKS over HTTP, as Step Functions would call EKS.
 */
import * as eksApi from '@aws-sdk/client-eks';
import { EKSClient } from '@aws-sdk/client-eks';
import type { NormalizedSchema } from '@smithy/core/schema';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { readFileSync } from 'node:fs';
import { MIGRATION_ASL_PATH, MIGRATION_STATE_MACHINE_NAME, MIGRATION_SUBSTITUTIONS, type MigrationPlaceholder } from '#workflows/manifest';
import type { Sandbox } from '../server/index.ts';
import { operationOf, type StaticOperation } from '../server/smithy.ts';
import type { LambdaHandler, SdkIntegration } from './model.ts';

const REPO_ROOT = new URL('../../', import.meta.url);

export interface MigrationMachineOptions {
  /** State machine name (default: the name the CDK stack gives it). */
  name?: string;
  /** Backup bucket, created versioned if the sandbox has none of that name (default `eks-access-pilot-migration-<account>`). */
  bucket?: string;
  /** `ApprovalTimeoutSeconds`, `UpdatePollSeconds`, `MaxUpdatePolls`; the CDK defaults otherwise. */
  settings?: Partial<Record<MigrationPlaceholder, string>>;
}

export interface MigrationMachine {
  stateMachineArn: string;
  bucket: string;
  /** The function ARN each `${…FunctionArn}` placeholder was given. */
  functions: Record<string, string>;
}

const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Converts between the PascalCase an `aws-sdk:*` task uses and the SDK's member names, guided
 * by the operation's schema: structure members are renamed, map keys (tags) are left alone.
 */
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
 * `aws-sdk:eks:<action>` through the sandbox's EKS endpoint. No SDK retries: Step Functions makes
 * one call per attempt and the ASL's Retry decides. Errors are named `Eks.<Exception>` with a
 * cause in the AWS SDK for Java's wording, as Step Functions reports them.
 */
export function eksIntegration(sandbox: Sandbox): SdkIntegration {
  const clients = new Map<string, EKSClient>();
  const credentials = { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! };
  return async (service, action, parameters, region) => {
    if (service !== 'eks') throw Object.assign(new Error(`the sandbox serves aws-sdk:${service} integrations only for eks`), { name: 'States.Runtime' });
    const Command = (eksApi as unknown as Record<string, new (input: unknown) => unknown>)[`${upper(action)}Command`];
    const schema = (eksApi as unknown as Record<string, unknown>)[`${upper(action)}$`] as StaticOperation | undefined;
    if (!Command || !schema) throw Object.assign(new Error(`Eks has no action ${action}`), { name: 'States.Runtime' });
    const op = operationOf(schema);
    let client = clients.get(region);
    if (!client) clients.set(region, (client = new EKSClient({ region, endpoint: sandbox.url, credentials, maxAttempts: 1 })));
    try {
      const output = await client.send(new Command(convert(op.input, parameters, 'toSdk')) as never);
      return convert(op.output, output, 'toStates');
    } catch (e) {
      const err = e as Error & { $metadata?: { httpStatusCode?: number; requestId?: string } };
      throw Object.assign(new Error(`${err.message} (Service: Eks, Status Code: ${err.$metadata?.httpStatusCode ?? 0}, Request ID: ${err.$metadata?.requestId ?? ''})`), {
        name: `Eks.${err.name}`,
      });
    }
  };
}

/**
 * Creates the migration state machine in the sandbox and returns its ARN.
 *
 * The handlers' SDK clients are created once per process and read `AWS_ENDPOINT_URL_*` and the
 * credentials from the environment when first used (style.md 3), so `process.env` must point at
 * this sandbox (`sandbox.env`) first.
 * @throws Error when it does not, or when the ASL has a placeholder this binding does not know.
 */
export async function createMigrationStateMachine(sandbox: Sandbox, options: MigrationMachineOptions = {}): Promise<MigrationMachine> {
  for (const k of ['AWS_ENDPOINT_URL_EKS', 'AWS_ENDPOINT_URL_S3', 'AWS_ENDPOINT_URL_STS', 'AWS_ACCESS_KEY_ID']) {
    if (process.env[k] !== sandbox.env[k]) {
      throw new Error(`createMigrationStateMachine: ${k} is ${process.env[k] ?? 'unset'}, not the sandbox's ${sandbox.env[k]}: set process.env from sandbox.env first`);
    }
  }
  const { accountId } = sandbox.model;
  const region = sandbox.env.AWS_REGION!;
  const name = options.name ?? MIGRATION_STATE_MACHINE_NAME;
  const bucket = options.bucket ?? `eks-access-pilot-migration-${accountId}`;
  try {
    sandbox.model.s3.keys(bucket);
  } catch {
    sandbox.model.s3.createBucket(bucket, { versioned: true });
  }

  const values: Record<string, string> = {};
  const functions: Record<string, string> = {};
  const lambdas: Record<string, LambdaHandler> = {};
  for (const [placeholder, sub] of Object.entries(MIGRATION_SUBSTITUTIONS) as Array<[MigrationPlaceholder, (typeof MIGRATION_SUBSTITUTIONS)[MigrationPlaceholder]]>) {
    if (sub.kind === 'function') {
      const arn = `arn:aws:lambda:${region}:${accountId}:function:eks-access-pilot-${placeholder.replace(/FunctionArn$/, '')}`;
      const mod = (await import(new URL(sub.entry, REPO_ROOT).href)) as { handler: LambdaHandler };
      values[placeholder] = functions[placeholder] = arn;
      lambdas[arn] = mod.handler;
    } else if (sub.kind === 'bucket') {
      values[placeholder] = bucket;
    } else {
      values[placeholder] = options.settings?.[placeholder] ?? sub.default;
    }
  }
  // CloudFormation's DefinitionSubstitutions: every ${Name} replaced by its value.
  const text = readFileSync(new URL(MIGRATION_ASL_PATH, REPO_ROOT), 'utf8').replace(/\$\{([A-Za-z0-9]+)\}/g, (m, key: string) => {
    if (!(key in values)) throw new Error(`createMigrationStateMachine: no substitution for ${m}`);
    return values[key]!;
  });
  const stateMachineArn = sandbox.stepFunctions.createStateMachine({
    name,
    definition: JSON.parse(text) as StateMachineDefinition,
    roleArn: `arn:aws:iam::${accountId}:role/eks-access-pilot/eks-access-pilot-MigrationStateMachineRole`,
    lambdas,
    sdk: eksIntegration(sandbox),
  });
  return { stateMachineArn, bucket, functions };
}
