/**
 * The migration state machine in the sandbox, deployed the way the CDK app deploys it: the real
 * ASL file with `definitionSubstitutions` (fake function ARNs, the backup bucket, the settings),
 * each Lambda function ARN bound to the real handler of functions/migration/*.ts with its
 * production ports — so the handlers reach EKS, IAM, S3, STS and the Kubernetes API of the
 * sandbox over HTTP, exactly as in AWS — and the `aws-sdk:eks:*` tasks served by the sandbox's
 * EKS over HTTP, as Step Functions would call EKS.
 *
 * The definition (ASL text, substitutions) is built here once for every offline run of the
 * workflow: the workflow tests (test/migration/workflow/world.ts) register the same definition
 * in their own StepFunctionsModel, bound to in-process ports instead of HTTP.
 */
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { readFileSync } from 'node:fs';
import { MIGRATION_ASL_PATH, MIGRATION_STATE_MACHINE_NAME, MIGRATION_SUBSTITUTIONS, type MigrationPlaceholder } from '#workflows/manifest';
import { EKSClient } from '@aws-sdk/client-eks';
import { MAIN_STACK_NAME } from '#infra/stacks/index';
import type { Sandbox } from '../server/index.ts';
import type { LambdaHandler } from './model.ts';
import { eksIntegration } from './sdk.ts';

export { eksIntegration } from './sdk.ts';

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

/** The migration ASL as written, `${Placeholder}` tokens in place. */
export function migrationAslText(): string {
  return readFileSync(new URL(MIGRATION_ASL_PATH, REPO_ROOT), 'utf8');
}

/**
 * A value for every placeholder, as the CDK stack's definitionSubstitutions gives them: each
 * function's ARN (`eks-access-pilot-<Name>` for `<Name>FunctionArn`), the bucket, and the
 * settings (`settings`, else the CDK defaults).
 */
export function migrationSubstitutions(o: { region: string; accountId: string; bucket: string; settings?: Partial<Record<MigrationPlaceholder, string>> }): Record<MigrationPlaceholder, string> {
  const values = {} as Record<MigrationPlaceholder, string>;
  for (const [placeholder, sub] of Object.entries(MIGRATION_SUBSTITUTIONS) as Array<[MigrationPlaceholder, (typeof MIGRATION_SUBSTITUTIONS)[MigrationPlaceholder]]>) {
    if (sub.kind === 'function') values[placeholder] = `arn:aws:lambda:${o.region}:${o.accountId}:function:eks-access-pilot-${placeholder.replace(/FunctionArn$/, '')}`;
    else if (sub.kind === 'bucket') values[placeholder] = o.bucket;
    else values[placeholder] = o.settings?.[placeholder] ?? sub.default;
  }
  return values;
}

/**
 * The migration ASL with every `${Name}` replaced by its value, as CloudFormation's
 * DefinitionSubstitutions does (AWS::StepFunctions::StateMachine, DefinitionSubstitutions).
 * @throws Error naming a placeholder that has no value.
 */
export function migrationDefinition(values: Record<string, string>): StateMachineDefinition {
  const text = migrationAslText().replace(/\$\{([A-Za-z0-9]+)\}/g, (m, key: string) => {
    if (!(key in values)) throw new Error(`no substitution for ${m}`);
    return values[key]!;
  });
  return JSON.parse(text) as StateMachineDefinition;
}

/**
 * Creates the migration state machine in the sandbox and returns its ARN.
 *
 * The handlers' SDK clients are created once per process and read `AWS_ENDPOINT_URL_*` and the
 * credentials from the environment when first used (docs/architecture.md, "Conventions"), so `process.env` must point at
 * this sandbox (`sandbox.env`) first.
 * @throws Error when it does not, or when the ASL has a placeholder this binding does not know.
 */
export async function createMigrationStateMachine(sandbox: Sandbox, options: MigrationMachineOptions = {}): Promise<MigrationMachine> {
  if (sandbox.iam && sandbox.lambda) return deployMigrationStateMachine(sandbox, options);
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

  const values = migrationSubstitutions({ region, accountId, bucket, settings: options.settings });
  const functions: Record<string, string> = {};
  const lambdas: Record<string, LambdaHandler> = {};
  for (const [placeholder, sub] of Object.entries(MIGRATION_SUBSTITUTIONS) as Array<[MigrationPlaceholder, (typeof MIGRATION_SUBSTITUTIONS)[MigrationPlaceholder]]>) {
    if (sub.kind !== 'function') continue;
    const mod = (await import(new URL(sub.entry, REPO_ROOT).href)) as { handler: LambdaHandler };
    functions[placeholder] = values[placeholder];
    lambdas[values[placeholder]] = mod.handler;
  }
  const stateMachineArn = sandbox.stepFunctions.createStateMachine({
    name,
    definition: migrationDefinition(values),
    roleArn: `arn:aws:iam::${accountId}:role/eks-access-pilot/eks-access-pilot-MigrationStateMachineRole`,
    lambdas,
    sdk: eksIntegration(sandbox),
  });
  return { stateMachineArn, bucket, functions };
}

/**
 * Under IAM enforcement: the state machine exactly as the synthesized app deploys it — its
 * definition substitutions (function ARNs, bucket, settings; `options.settings` may shorten the
 * settings), each task run by the sandbox's Lambda runtime as its own role, and the SDK
 * integrations called as the state machine's role.
 */
async function deployMigrationStateMachine(sandbox: Sandbox, options: MigrationMachineOptions): Promise<MigrationMachine> {
  const iam = sandbox.iam!;
  const runtime = sandbox.lambda!;
  const name = options.name ?? MIGRATION_STATE_MACHINE_NAME;
  const deployed = iam.app.stateMachines.get(MIGRATION_STATE_MACHINE_NAME);
  if (!deployed) throw new Error(`the deployed app has no state machine ${MIGRATION_STATE_MACHINE_NAME}`);
  const values = { ...deployed.substitutions, ...options.settings } as Record<MigrationPlaceholder, string>;
  const bucket = values.BackupBucket;
  try {
    sandbox.model.s3.keys(bucket);
  } catch {
    sandbox.model.s3.createBucket(bucket, { versioned: true });
  }
  const functions: Record<string, string> = {};
  const lambdas: Record<string, LambdaHandler> = {};
  for (const [placeholder, sub] of Object.entries(MIGRATION_SUBSTITUTIONS) as Array<[MigrationPlaceholder, (typeof MIGRATION_SUBSTITUTIONS)[MigrationPlaceholder]]>) {
    if (sub.kind !== 'function') continue;
    const arn = values[placeholder];
    functions[placeholder] = arn;
    const fn = arn.split(':').at(-1)!;
    lambdas[arn] = async (event: never) => {
      // Step Functions invokes the function with the state machine's role (lambda:InvokeFunction);
      // a refusal fails the task with Lambda.AWSLambdaException, as the service reports it.
      const decision = await iam.authorize(stateMachine, { service: 'lambda', operation: 'Invoke', input: { FunctionName: arn }, region: arn.split(':')[3]!, accountId: iam.app.accountId, partition: iam.app.partition });
      if (!decision.allowed) throw Object.assign(new Error(decision.message), { name: 'Lambda.AWSLambdaException' });
      return runtime.invoke(fn, event);
    };
  }
  const role = iam.app.roles.get(deployed.roleName)!;
  const creds = iam.issueRoleCredentials(role.name, 'states');
  const stateMachine = iam.identityOf(creds.accessKeyId)!;
  const clients = new Map<string, EKSClient>();
  const asStateMachine = (region: string): EKSClient => {
    let c = clients.get(region);
    if (!c) {
      const credentials = { accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken };
      clients.set(region, (c = new EKSClient({ region, endpoint: sandbox.url, credentials, maxAttempts: 1 })));
    }
    return c;
  };
  const stateMachineArn = sandbox.stepFunctions.createStateMachine({
    name,
    definition: migrationDefinition(values),
    roleArn: role.arn,
    lambdas,
    sdk: eksIntegration(asStateMachine),
  });
  return { stateMachineArn, bucket, functions };
}

/** The group the README's RBAC gives read/update on aws-auth (functions/migration/tasks/describe-cluster.ts). */
const WORKFLOW_GROUP = 'eks-access-pilot-aws-auth';

/**
 * Does what the README asks of an operator before the first migration of a CONFIG_MAP cluster:
 * maps the deployed workflow's Kubernetes role in aws-auth (path-less, as aws-auth matches
 * roles) to the group the README's RBAC lets read and update aws-auth. Returns the role ARN.
 */
export function mapWorkflowRole(sandbox: Sandbox, region: string, cluster: string): string {
  const iam = sandbox.iam;
  if (!iam) throw new Error('mapWorkflowRole: the sandbox runs without IAM enforcement, so there is no deployed workflow role');
  // The home region's migration (the main stack); other regions' stacks have their own role.
  const role = [...iam.app.roles.values()].find((r) => r.logicalId.startsWith('MigrationKubernetesRole') && r.stack === MAIN_STACK_NAME);
  if (!role) throw new Error('the deployed app has no migration Kubernetes role');
  const k8s = sandbox.model.kubernetes(region, cluster);
  const current = k8s.configMap('kube-system', 'aws-auth')?.data ?? {};
  const arn = `arn:${iam.app.partition}:iam::${iam.app.accountId}:role/${role.name}`;
  if ((current.mapRoles ?? '').includes(arn)) return arn;
  const row = `- rolearn: ${arn}\n  username: eks-access-pilot-migration\n  groups:\n    - ${WORKFLOW_GROUP}\n`;
  k8s.seedConfigMap('kube-system', 'aws-auth', { ...current, mapRoles: `${(current.mapRoles ?? '').replace(/\n?$/, '\n')}${row}` });
  return arn;
}
