/**
 * The migration workflow, offline: the real ASL run by aws-local-stepfunctions, every Task bound
 * to the real handler code, and the handlers' SDK clients served by the one model of AWS
 * (sandbox/model: IAM and EKS through sandbox/mock-binding.ts; S3 and the Kubernetes aws-auth
 * ConfigMap through the models added for the migration).
 *
 * The bridges behave like the services Step Functions calls:
 *  - a Lambda Task fails with the thrown error's `name` as Error and Lambda's JSON
 *    (`{"errorType","errorMessage","trace"}`) as Cause;
 *  - an `aws-sdk:eks:*` Task takes and returns PascalCase fields and fails with
 *    `Eks.<ExceptionName>` (Step Functions developer guide, "AWS SDK service integrations");
 *  - `lambda:invoke.waitForTaskToken` runs the request handler, then waits for the test's answer
 *    (SendTaskSuccess output, SendTaskFailure, or nothing: the Task's timeout fires).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  DescribeUpdateCommand,
  EKSClient,
  UpdateClusterConfigCommand,
  type DescribeUpdateCommandInput,
  type UpdateClusterConfigCommandInput,
} from '@aws-sdk/client-eks';
import { CreateRoleCommand, CreateUserCommand, IAMClient } from '@aws-sdk/client-iam';
import {
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  type GetObjectCommandInput,
  type HeadObjectCommandInput,
  type PutObjectCommandInput,
} from '@aws-sdk/client-s3';
import type { CoreV1Api } from '@kubernetes/client-node';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { awsAuthStore } from '#migration/adapters/aws-auth-store';
import { bindModelToSdkMocks, type ModelMocks } from '#sandbox/mock-binding';
import { AwsModel, type AwsModelOptions } from '#sandbox/model/index';
import { KubernetesModel } from '#sandbox/model/kubernetes';
import { S3Model } from '#sandbox/model/s3';
import { makeBackup } from '#migration/tasks/backup';
import { makeCreateEntries } from '#migration/tasks/create-entries';
import { makeDescribeCluster } from '#migration/tasks/describe-cluster';
import { makePlan } from '#migration/tasks/plan';
import type { MigrationPorts } from '#migration/ports';
import { makeRecheck } from '#migration/tasks/recheck';
import { makeRelist } from '#migration/tasks/relist';
import { makeReport } from '#migration/tasks/report';
import { makeRequestApproval } from '#migration/tasks/request-approval';
import { makeRollback } from '#migration/tasks/rollback';
import { validateInput, type ValidateInputEvent } from '#migration/tasks/validate-input';
import { makeVerify } from '#migration/tasks/verify';
import { MIGRATION_ASL_PATH, MIGRATION_SUBSTITUTIONS, type MigrationPlaceholder } from '#workflows/manifest';

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const CLUSTER = 'prod';
export const BUCKET = 'eks-access-pilot-migration-test';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:eks-access-pilot-migration`;
/** The workflow's Lambda role; it signs the EKS token, so the Kubernetes API sees this session. */
export const MIGRATION_ROLE = 'eks-access-pilot-MigrationRole';
export const CALLER_ARN = `arn:aws:sts::${ACCOUNT}:assumed-role/${MIGRATION_ROLE}/eks-access-pilot-backup`;

const role = (path: string, name: string) => `arn:aws:iam::${ACCOUNT}:role${path}${name}`;
const user = (path: string, name: string) => `arn:aws:iam::${ACCOUNT}:user${path}${name}`;

/** The IAM principals of the test account (path, name). */
export const ROLES = {
  managedNodes: ['/', 'eks-prod-ng-general-NodeInstanceRole'],
  selfManagedNodes: ['/', 'eks-prod-selfmanaged-NodeInstanceRole'],
  fargate: ['/', 'eks-prod-FargatePodExecutionRole'],
  platformAdmin: ['/', 'platform-admin'],
  teamA: ['/teams/', 'team-a-developers'],
  sso: ['/aws-reserved/sso.amazonaws.com/eu-west-1/', 'AWSReservedSSO_ReadOnly_0123456789abcdef'],
  migration: ['/eks-access-pilot/', MIGRATION_ROLE],
  creator: ['/', 'ClusterCreator'],
} as const;
export const USERS = {
  releaseBot: ['/ci/', 'release-bot'],
  alice: ['/', 'alice'],
  bob: ['/', 'bob'],
} as const;
export const arnOf = {
  role: (k: keyof typeof ROLES) => role(ROLES[k][0], ROLES[k][1]),
  /** The path-less ARN aws-auth uses for roles. */
  roleInAwsAuth: (k: keyof typeof ROLES) => role('/', ROLES[k][1]),
  user: (k: keyof typeof USERS) => user(USERS[k][0], USERS[k][1]),
};

/** A realistic aws-auth with 10 rows (7 roles, 3 users), all convertible, no blockers. */
export function tenRowAwsAuth(): Record<string, string> {
  const r = arnOf.roleInAwsAuth;
  return {
    mapRoles: `- rolearn: ${r('managedNodes')}
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
- rolearn: ${r('selfManagedNodes')}
  username: system:node:{{EC2PrivateDNSName}}
  groups:
    - system:bootstrappers
    - system:nodes
- rolearn: ${r('fargate')}
  username: system:node:{{SessionName}}
  groups:
    - system:bootstrappers
    - system:nodes
    - system:node-proxier
- rolearn: ${r('platformAdmin')}
  username: platform-admin:{{SessionName}}
  groups:
    - system:masters
- rolearn: ${r('teamA')}
  username: team-a:{{SessionName}}
  groups:
    - pod-readers
- rolearn: ${r('sso')}
  username: sso-readonly:{{SessionName}}
  groups:
    - viewers
- rolearn: ${r('migration')}
  username: eks-access-pilot-migration
  groups:
    - eks-access-pilot-aws-auth
`,
    mapUsers: `- userarn: ${arnOf.user('releaseBot')}
  username: release-bot
  groups:
    - deployers
- userarn: ${arnOf.user('alice')}
  username: alice
  groups:
    - system:masters
- userarn: ${arnOf.user('bob')}
  groups:
    - pod-readers
`,
  };
}

// ----- the state machine -----

export const SETTINGS = { ApprovalTimeoutSeconds: '1', UpdatePollSeconds: '0', MaxUpdatePolls: '3' } as const;

/** A value for every placeholder, as CDK's definitionSubstitutions would give. */
export function substitutions(): Record<MigrationPlaceholder, string> {
  const out = {} as Record<MigrationPlaceholder, string>;
  for (const [name, sub] of Object.entries(MIGRATION_SUBSTITUTIONS) as Array<[MigrationPlaceholder, (typeof MIGRATION_SUBSTITUTIONS)[MigrationPlaceholder]]>) {
    if (sub.kind === 'function') out[name] = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:eks-access-pilot-${name.replace(/FunctionArn$/, '')}`;
    else if (sub.kind === 'bucket') out[name] = BUCKET;
    else out[name] = SETTINGS[name as keyof typeof SETTINGS];
  }
  return out;
}

export function aslText(): string {
  return readFileSync(fileURLToPath(new URL(`../../../${MIGRATION_ASL_PATH}`, import.meta.url)), 'utf8');
}

/** The ASL with `${…}` replaced the way CloudFormation's DefinitionSubstitutions does. */
export function substitutedDefinition(values: Record<string, string> = substitutions()): StateMachineDefinition {
  const text = aslText().replace(/\$\{([A-Za-z0-9]+)\}/g, (m, name: string) => {
    if (!(name in values)) throw new Error(`no substitution for ${m}`);
    return values[name]!;
  });
  return JSON.parse(text) as StateMachineDefinition;
}

/**
 * aws-local-stepfunctions 3.0.0 resolves a Task's TimeoutSecondsPath against the input after
 * Parameters (the lambda:invoke request), where Step Functions resolves it against the state
 * input. The only adaptation of the ASL for the runner: point it at the same value inside the
 * Payload (`timeoutSeconds` is `$.run.approvalTimeoutSeconds`).
 */
export function forLocalRunner(definition: StateMachineDefinition): StateMachineDefinition {
  const wait = definition.States['Wait for approval'] as { TimeoutSecondsPath?: string; Parameters?: { Payload?: Record<string, string> } };
  if (wait.TimeoutSecondsPath !== '$.run.approvalTimeoutSeconds' || wait.Parameters?.Payload?.['timeoutSeconds.$'] !== '$.run.approvalTimeoutSeconds') {
    throw new Error('forLocalRunner: "Wait for approval" changed; revisit this adaptation');
  }
  wait.TimeoutSecondsPath = '$.Payload.timeoutSeconds';
  return definition;
}

export function buildMachine(): StateMachine {
  return new StateMachine(forLocalRunner(substitutedDefinition()), { validationOptions: { checkPaths: true, checkArn: true } });
}

// ----- the world -----

export type Approval = { approve: unknown } | { reject: { error: string; cause: string } } | 'never';

export interface Injection {
  /** The state whose Task fails. */
  state: string;
  /** Fail before the real handler runs, or after it did its work (a crash before replying). */
  when: 'before' | 'after';
  /** Runs at the injection point (e.g. to change the world); its error, or `error`, is thrown. */
  act?: (world: MigrationWorld) => void;
  error?: Error;
}

export interface RunOutcome {
  status: 'SUCCEEDED' | 'FAILED';
  output?: unknown;
  error?: string;
  cause?: string;
  /** States entered, in order. */
  path: string[];
  /** How many StateEntered events (state transitions) the run had. */
  transitions: number;
  /** The state data when each state was entered, by name (last time). */
  inputs: Map<string, unknown>;
}

export interface WorldOptions {
  mode?: 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API';
  awsAuth?: Record<string, string> | null;
  model?: AwsModelOptions;
}

/** A named error, as an SDK or handler would throw it. */
export function namedError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

function lambdaFailure(e: unknown): Error {
  const err = e instanceof Error ? e : new Error(String(e));
  return namedError(err.name, JSON.stringify({ errorType: err.name, errorMessage: err.message, trace: [] }));
}

function json<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

function pascal(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(pascal);
  if (v instanceof Date) return v.toISOString();
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([k]) => k !== '$metadata')
        .map(([k, x]) => [k[0]!.toUpperCase() + k.slice(1), pascal(x)]),
    );
  }
  return v;
}

function camel(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(camel);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k[0]!.toLowerCase() + k.slice(1), camel(x)]));
  return v;
}

// One stub per process: aws-sdk-client-mock stubs the S3Client class, shared by every world.
let s3Stub: AwsClientStub<S3Client> | undefined;

export class MigrationWorld {
  readonly aws: AwsModel;
  readonly s3 = new S3Model();
  readonly k8s: KubernetesModel;
  readonly mocks: ModelMocks;
  readonly iam = new IAMClient({ region: 'us-east-1' });
  readonly execution: string;
  readonly ports: MigrationPorts;
  /** Entries present before the run (none for a CONFIG_MAP cluster). */
  entriesBefore: string[] = [];
  injection: Injection | undefined;
  approval: Approval = { approve: { approvedBy: 'alice@example.com' } };
  approvalRequests: unknown[] = [];
  /** Simulates a Kubernetes API outage for the aws-auth store. */
  kubernetesDown = false;
  private readonly eksClients = new Map<string, EKSClient>();

  constructor(readonly options: WorldOptions = {}, execution = 'migration-test-1') {
    this.execution = execution;
    this.aws = new AwsModel({ updatePolls: 2, ...options.model });
    this.mocks = bindModelToSdkMocks(this.aws);
    this.k8s = new KubernetesModel({
      creatorArn: arnOf.role('creator'),
      authMode: () => this.mode(),
      hasAccessEntry: (arn) => this.entryArns().some((a) => a.toLowerCase() === arn.toLowerCase()),
    });
    s3Stub ??= mockClient(S3Client);
    this.bindS3();
    this.s3.createBucket(BUCKET, { versioned: true });
    const eks = (region: string) => {
      let c = this.eksClients.get(region);
      if (!c) this.eksClients.set(region, (c = new EKSClient({ region })));
      return c;
    };
    const s3 = new S3Client({ region: REGION });
    this.ports = {
      eks,
      iam: () => this.iam,
      s3: () => s3,
      awsAuth: async () => {
        if (this.kubernetesDown) throw namedError('Error', 'connect ETIMEDOUT 10.0.0.1:443');
        return awsAuthStore(this.k8s.api(CALLER_ARN) as unknown as CoreV1Api);
      },
      callerArn: async () => CALLER_ARN,
      now: () => new Date('2026-11-22T10:00:00Z'),
    };
  }

  /** Creates the IAM principals and the cluster, with aws-auth. */
  async seed(): Promise<this> {
    for (const [path, name] of Object.values(ROLES)) {
      await this.iam.send(new CreateRoleCommand({ RoleName: name, Path: path, AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' }));
    }
    for (const [path, name] of Object.values(USERS)) await this.iam.send(new CreateUserCommand({ UserName: name, Path: path }));
    this.aws.eks.addCluster({
      name: CLUSTER,
      region: REGION,
      authenticationMode: this.options.mode ?? 'CONFIG_MAP',
      version: '1.30',
      platformVersion: 'eks.5',
      creatorArn: arnOf.role('creator'),
      nodeRoleArns: [arnOf.role('managedNodes')],
      fargateRoleArns: [arnOf.role('fargate')],
    });
    const awsAuth = this.options.awsAuth === undefined ? tenRowAwsAuth() : this.options.awsAuth;
    if (awsAuth) this.k8s.seedConfigMap('kube-system', 'aws-auth', awsAuth);
    this.entriesBefore = this.entryArns();
    return this;
  }

  restore(): void {
    this.mocks.restore();
    s3Stub?.reset();
  }

  mode(): 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API' {
    return this.aws.eks.describeCluster(REGION, { name: CLUSTER }).cluster!.accessConfig!.authenticationMode as 'CONFIG_MAP';
  }

  /** Principal ARNs with an entry now (none while the cluster is in CONFIG_MAP). */
  entryArns(): string[] {
    if (this.mode() === 'CONFIG_MAP') return [];
    return [...this.aws.eks.listAccessEntries(REGION, { clusterName: CLUSTER }).accessEntries!].sort();
  }

  entry(principalArn: string) {
    return this.aws.eks.describeAccessEntry(REGION, { clusterName: CLUSTER, principalArn }).accessEntry!;
  }

  awsAuth(): Record<string, string> | undefined {
    return this.k8s.configMap('kube-system', 'aws-auth')?.data;
  }

  /** Runs one execution of the machine with every Task bound to the real code. */
  async run(machine: StateMachine, input: unknown): Promise<RunOutcome> {
    const execution = machine.run(input as never, {
      overrides: {
        taskResourceLocalHandlers: this.handlers(),
        waitTimeOverrides: { 'Wait for API_AND_CONFIG_MAP': 0, 'Wait for API': 0 },
        retryIntervalOverrides: Object.fromEntries(
          Object.keys(substitutedDefinition().States).map((s) => [s, 0]),
        ),
      },
      context: {
        Execution: { Id: `${STATE_MACHINE_ARN.replace(':stateMachine:', ':execution:')}:${this.execution}`, Name: this.execution },
        StateMachine: { Id: STATE_MACHINE_ARN, Name: 'eks-access-pilot-migration' },
        Task: { Token: 'AQCEAAAAKgAAAAMAAAAAAAAAAQ-task-token' },
      },
    });
    const path: string[] = [];
    const inputs = new Map<string, unknown>();
    let failed: { Error: string; Cause: unknown } | undefined;
    const consume = (async () => {
      for await (const ev of execution.eventLogs) {
        if (ev.type === 'StateEntered') {
          path.push(ev.state.name);
          inputs.set(ev.state.name, ev.state.input);
        }
        if (ev.type === 'ExecutionFailed') failed = { Error: ev.Error, Cause: ev.Cause };
      }
    })();
    let output: unknown;
    try {
      output = await execution.result;
    } catch {
      // the failure is read from the event log
    }
    await consume;
    const base = { path, transitions: path.length, inputs };
    if (failed) return { ...base, status: 'FAILED', error: failed.Error, cause: String(failed.Cause) };
    return { ...base, status: 'SUCCEEDED', output };
  }

  private bindS3(): void {
    const stub = s3Stub!;
    stub.reset();
    stub.on(PutObjectCommand).callsFake((input: PutObjectCommandInput) => ({ ...this.s3.putObject(input), $metadata: {} }));
    stub.on(GetObjectCommand).callsFake((input: GetObjectCommandInput) => {
      const { body, ...rest } = this.s3.getObject(input);
      // The SDK's Body is a stream with transformToString(); this stands in for it.
      return { ...rest, Body: { transformToString: async () => Buffer.from(body).toString('utf8'), transformToByteArray: async () => body }, $metadata: {} };
    });
    stub.on(HeadObjectCommand).callsFake((input: HeadObjectCommandInput) => ({ ...this.s3.headObject(input), $metadata: {} }));
  }

  private inject(state: string, when: 'before' | 'after'): void {
    const i = this.injection;
    if (!i || i.state !== state || i.when !== when) return;
    i.act?.(this);
    if (i.error) throw i.error;
  }

  private lambda(state: string, fn: (event: never) => Promise<unknown>) {
    return async (input: unknown) => {
      try {
        this.inject(state, 'before');
        const out = await fn(json(input) as never);
        this.inject(state, 'after');
        return json(out) as never;
      } catch (e) {
        throw lambdaFailure(e);
      }
    };
  }

  private sdk(state: string, call: (input: unknown) => Promise<unknown>) {
    return async (input: unknown) => {
      try {
        this.inject(state, 'before');
        const out = pascal(await call(camel(json(input))));
        this.inject(state, 'after');
        return out as never;
      } catch (e) {
        const err = e as Error;
        if (err.name.startsWith('Eks.')) throw err;
        throw namedError(`Eks.${err.name}`, `${err.message} (Service: Eks, Status Code: 400, Request ID: 00000000-0000-0000-0000-000000000000)`);
      }
    };
  }

  private handlers() {
    const p = this.ports;
    const eks = p.eks(REGION);
    const update = (input: unknown) => eks.send(new UpdateClusterConfigCommand(input as UpdateClusterConfigCommandInput));
    const describe = (input: unknown) => eks.send(new DescribeUpdateCommand(input as DescribeUpdateCommandInput));
    const requestApproval = makeRequestApproval(p);
    return {
      'Validate input': this.lambda('Validate input', (e: ValidateInputEvent) => validateInput(e)),
      'Describe cluster': this.lambda('Describe cluster', makeDescribeCluster(p)),
      'Back up aws-auth and access entries': this.lambda('Back up aws-auth and access entries', makeBackup(p)),
      'Plan conversion': this.lambda('Plan conversion', makePlan(p)),
      'Switch to API_AND_CONFIG_MAP': this.sdk('Switch to API_AND_CONFIG_MAP', update),
      'Check API_AND_CONFIG_MAP update': this.sdk('Check API_AND_CONFIG_MAP update', describe),
      'Re-list access entries': this.lambda('Re-list access entries', makeRelist(p)),
      'Create access entries': this.lambda('Create access entries', makeCreateEntries(p)),
      'Verify access entries': this.lambda('Verify access entries', makeVerify(p)),
      'Wait for approval': async (input: unknown) => {
        // lambda:invoke.waitForTaskToken: the Payload goes to the function; the state's result
        // is what SendTaskSuccess sends, not the function's return value.
        const payload = (input as { Payload: unknown }).Payload;
        // An injection here stands for what happens in the world while the approver thinks.
        this.inject('Wait for approval', 'before');
        await requestApproval(json(payload));
        this.approvalRequests.push(payload);
        const answer = this.approval;
        if (answer === 'never') return new Promise<never>(() => undefined);
        if ('reject' in answer) throw namedError(answer.reject.error, answer.reject.cause);
        return json(answer.approve) as never;
      },
      'Re-check before API': this.lambda('Re-check before API', makeRecheck(p)),
      'Switch to API': this.sdk('Switch to API', update),
      'Check API update': this.sdk('Check API update', describe),
      Report: this.lambda('Report', makeReport(p)),
      'Roll back': this.lambda('Roll back', makeRollback(p)),
    };
  }
}

/** The states a CONFIG_MAP → API run passes through when every switch completes on its first check. */
export const HAPPY_PATH_TO_API = [
  'Validate input',
  'Describe cluster',
  'Already at target?',
  'Back up aws-auth and access entries',
  'Plan conversion',
  'Dry run?',
  'Needs API_AND_CONFIG_MAP first?',
  'Switch to API_AND_CONFIG_MAP',
  'Wait for API_AND_CONFIG_MAP',
  'Check API_AND_CONFIG_MAP update',
  'API_AND_CONFIG_MAP update done?',
  'Re-list access entries',
  'Create access entries',
  'Verify access entries',
  'Going to API?',
  'Blockers?',
  'Approval needed?',
  'Re-check before API',
  'Switch to API',
  'Wait for API',
  'Check API update',
  'API update done?',
  'Report',
  'Migration complete',
];
