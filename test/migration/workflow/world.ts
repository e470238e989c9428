/**
 * The migration workflow, offline: the real ASL run by the sandbox's Step Functions model
 * (sandbox/stepfunctions/model.ts, the one offline runner: the sandbox server and the e2e tests
 * run it too), every Lambda function ARN bound to the real handler factory of
 * functions/migration/tasks/*.ts with this world's ports, and the handlers' SDK clients served by
 * the one model of AWS (sandbox/model: IAM and EKS through sandbox/mock-binding.ts; S3 and the
 * Kubernetes aws-auth ConfigMap through the models added for the migration).
 *
 * What Step Functions does around the tasks is the model's: Lambda's error shape, the
 * `aws-sdk:eks:*` parameter and error conversion (sandbox/stepfunctions/sdk.ts), task tokens,
 * timeouts and the execution history. The world adds what a test needs on top:
 *  - a failure injected before or after one state's task, by wrapping the handler or the SDK
 *    integration that state calls;
 *  - the approver: after "Wait for approval" delivered its request, the world answers with
 *    SendTaskSuccess or SendTaskFailure on the request's token, or never (the Task's timeout fires);
 *  - the outcome read back through the API: DescribeExecution, and the path from the
 *    `…StateEntered` events of GetExecutionHistory.
 */
import { EKSClient } from '@aws-sdk/client-eks';
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
import type { ExecutionStatus, HistoryEvent } from '@aws-sdk/client-sfn';
import type { CoreV1Api } from '@kubernetes/client-node';
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import { awsAuthStore } from '#migration/adapters/aws-auth-store';
import { bindModelToSdkMocks, type ModelMocks } from '#sandbox/mock-binding';
import { AwsModel, type AwsModelOptions } from '#sandbox/model/index';
import type { KubernetesModel } from '#sandbox/model/kubernetes';
import { S3Model } from '#sandbox/model/s3';
import { migrationAslText, migrationDefinition, migrationSubstitutions } from '#sandbox/stepfunctions/migration';
import { PreparedStateMachine, StepFunctionsModel, type LambdaHandler, type SdkIntegration } from '#sandbox/stepfunctions/model';
import { eksIntegration, sdkIntegrationError } from '#sandbox/stepfunctions/sdk';
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
import type { MigrationPlaceholder } from '#workflows/manifest';

export type { PreparedStateMachine };

export const ACCOUNT = '111122223333';
export const REGION = 'eu-west-1';
export const CLUSTER = 'prod';
export const BUCKET = 'eks-access-pilot-migration-test';
const STATE_MACHINE_NAME = 'eks-access-pilot-migration';
export const STATE_MACHINE_ARN = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${STATE_MACHINE_NAME}`;
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
  return migrationSubstitutions({ region: REGION, accountId: ACCOUNT, bucket: BUCKET, settings: SETTINGS });
}

export function aslText(): string {
  return migrationAslText();
}

/** The ASL with `${…}` replaced the way CloudFormation's DefinitionSubstitutions does. */
export function substitutedDefinition(values: Record<string, string> = substitutions()): StateMachineDefinition {
  return migrationDefinition(values);
}

/** The migration state machine, validated once (~200 ms): build it once per test file and pass it to every run. */
export function buildMachine(): PreparedStateMachine {
  return new PreparedStateMachine(substitutedDefinition());
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
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  /** States entered, in order. */
  path: string[];
  /** Each failed attempt of a Task (LambdaFunctionFailed, TaskFailed), in order: a retried one too. */
  failures: Array<{ state: string; error: string }>;
  /** How many `…StateEntered` events (state transitions) the run had. */
  transitions: number;
  /** The state data when each state was entered, by name (last time). */
  inputs: Map<string, unknown>;
}

export interface WorldOptions {
  mode?: 'CONFIG_MAP' | 'API_AND_CONFIG_MAP' | 'API';
  awsAuth?: Record<string, string> | null;
  model?: AwsModelOptions;
  /** false: the cluster has no creator ARN, so EKS makes no creator admin entry (as when the creator is unknown or its entry was deleted). */
  creator?: boolean;
}

export interface AwsFault {
  state: string;
  command: string;
  error: () => Error;
  when?: (input: Record<string, unknown>) => boolean;
  times?: number;
}

/** A named error, as an SDK or handler would throw it. */
export function namedError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/** The Lambda function each Task state invokes: its Resource, or `FunctionName` for `lambda:invoke`. */
function functionOf(state: { Type: string; Resource?: string; Parameters?: { FunctionName?: string } }): string | undefined {
  if (state.Type !== 'Task' || !state.Resource) return undefined;
  if (state.Resource.startsWith('arn:aws:lambda:')) return state.Resource;
  if (/^arn:aws:states:::lambda:invoke(\.waitForTaskToken)?$/.test(state.Resource)) return state.Parameters?.FunctionName;
  return undefined;
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
  /** One failure, or several (each in its own state, e.g. a step and then the rollback itself). */
  injection: Injection | Injection[] | undefined;
  approval: Approval = { approve: { approvedBy: 'alice@example.com' } };
  approvalRequests: unknown[] = [];
  /** Simulates a Kubernetes API outage for the aws-auth store. */
  kubernetesDown = false;
  /**
   * Answers of the Kubernetes API server to the aws-auth store's `method` calls in `state`'s task,
   * one per call and before the model answers (e.g. a single 500 on the read of the backup); the
   * real adapter sees them as CoreV1Api throws them.
   */
  kubernetesFaults: { state: string; method: 'readNamespacedConfigMap' | 'replaceNamespacedConfigMap'; errors: Error[] } | undefined;
  /**
   * Failures of the AWS calls (EKS, S3) that `state`'s task makes, before the model answers: the
   * SDK command's class name (`DescribeClusterCommand`, `GetObjectCommand`, …), the calls it
   * applies to (`when`, by the command's input; all when absent) and how many of them fail
   * (`times`; every one when absent). The real adapter sees the error as the SDK throws it.
   */
  awsFaults: AwsFault[] = [];
  /** The state whose handler is running (states run one at a time). */
  private currentState: string | undefined;
  /** This world's Step Functions: its executions, histories and task tokens. */
  readonly stepFunctions = new StepFunctionsModel({ accountId: ACCOUNT, region: REGION, waitMs: 0, retryIntervalMs: 0 });
  private registered: { machine: PreparedStateMachine; arn: string } | undefined;
  /** A SendTask* call of the approver that the model refused; run() reports it. */
  private approverError: unknown;
  private readonly eksClients = new Map<string, EKSClient>();

  constructor(readonly options: WorldOptions = {}, execution = 'migration-test-1') {
    this.execution = execution;
    this.aws = new AwsModel({ updatePolls: 2, ...options.model });
    this.mocks = bindModelToSdkMocks(this.aws);
    // The cluster's own Kubernetes API: it logs callers in and authorizes them as EKS does
    // (aws-auth and access entries by mode, RBAC for the workflow's group).
    this.k8s = this.aws.kubernetes(REGION, CLUSTER);
    s3Stub ??= mockClient(S3Client);
    this.bindS3();
    this.s3.createBucket(BUCKET, { versioned: true });
    const eks = (region: string) => {
      let c = this.eksClients.get(region);
      if (!c) this.eksClients.set(region, (c = this.withAwsFaults(new EKSClient({ region }))));
      return c;
    };
    const s3 = this.withAwsFaults(new S3Client({ region: REGION }));
    this.ports = {
      eks,
      iam: () => this.iam,
      s3: () => s3,
      awsAuth: async () => {
        if (this.kubernetesDown) throw namedError('Error', 'connect ETIMEDOUT 10.0.0.1:443');
        return awsAuthStore(this.withFaults(this.k8s.api(CALLER_ARN) as unknown as CoreV1Api));
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
      ...(this.options.creator === false ? {} : { creatorArn: arnOf.role('creator') }),
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

  /**
   * Runs one execution (named `execution`) of the machine with every Task bound to the real code
   * and this world's ports, and reads the outcome back through the Step Functions API. The
   * machine is registered in this world's model on the first run.
   * @throws Error when the approver's answer was refused (the token no longer waiting).
   */
  async run(machine: PreparedStateMachine, input: unknown): Promise<RunOutcome> {
    const sfn = this.stepFunctions;
    if (this.registered && this.registered.machine !== machine) throw new Error('a world runs one state machine');
    this.registered ??= {
      machine,
      arn: sfn.createStateMachine({ name: STATE_MACHINE_NAME, definition: machine, lambdas: this.lambdas(machine.definition), sdk: this.sdkIntegration() }),
    };
    const { executionArn } = sfn.startExecution({ stateMachineArn: this.registered.arn, name: this.execution, input: JSON.stringify(input) });
    await sfn.settled(executionArn);
    if (this.approverError) throw this.approverError;

    const done = sfn.describeExecution({ executionArn });
    const path: string[] = [];
    const failures: RunOutcome['failures'] = [];
    const inputs = new Map<string, unknown>();
    for (const ev of this.history(executionArn)) {
      const failed = ev.lambdaFunctionFailedEventDetails ?? ev.taskFailedEventDetails;
      if (failed) failures.push({ state: path.at(-1) ?? '', error: failed.error ?? '' });
      // Every `<Type>StateEntered` event carries the state's name and input (API reference, StateEnteredEventDetails).
      const entered = ev.stateEnteredEventDetails;
      if (!entered) continue;
      path.push(entered.name!);
      inputs.set(entered.name!, JSON.parse(entered.input ?? 'null'));
    }
    const base = { status: done.status!, path, failures, transitions: path.length, inputs };
    if (done.status === 'SUCCEEDED') return { ...base, output: JSON.parse(done.output ?? 'null') };
    return { ...base, ...(done.error !== undefined ? { error: done.error } : {}), ...(done.cause !== undefined ? { cause: done.cause } : {}) };
  }

  /** The whole history, page by page (GetExecutionHistory returns at most 1000 events a call). */
  private history(executionArn: string): HistoryEvent[] {
    const events: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      const page = this.stepFunctions.getExecutionHistory({ executionArn, maxResults: 1000, nextToken });
      events.push(...(page.events ?? []));
      nextToken = page.nextToken;
    } while (nextToken);
    return events;
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

  /** The client with `awsFaults` answered first; every other call goes to its (mocked) `send`. */
  private withAwsFaults<C extends EKSClient | S3Client>(client: C): C {
    return new Proxy(client, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (prop !== 'send' || typeof value !== 'function') return value;
        return (command: { constructor: { name: string }; input: Record<string, unknown> }, ...rest: unknown[]) => {
          const f = this.awsFaults.find((x) => x.state === this.currentState && x.command === command.constructor.name && (x.when?.(command.input) ?? true) && (x.times ?? 1) > 0);
          if (!f) return (value as (...a: unknown[]) => unknown).apply(target, [command, ...rest]);
          if (f.times !== undefined) f.times--;
          return Promise.reject(f.error());
        };
      },
    });
  }

  /** The model's CoreV1Api with `kubernetesFaults` answered first. */
  private withFaults(api: CoreV1Api): CoreV1Api {
    return new Proxy(api, {
      get: (target, prop, receiver) => {
        const value: unknown = Reflect.get(target, prop, receiver);
        const f = this.kubernetesFaults;
        if (!f || prop !== f.method || f.state !== this.currentState || typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          const error = f.errors.shift();
          return error ? Promise.reject(error) : (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }

  private inject(state: string, when: 'before' | 'after'): void {
    const i = [this.injection ?? []].flat().find((x) => x.state === state && x.when === when);
    if (!i) return;
    i.act?.(this);
    if (i.error) throw i.error;
  }

  /** One state's handler as its Lambda function: the model adds Lambda's JSON and error shape around it. */
  private lambda(state: string, fn: (event: never) => Promise<unknown>): LambdaHandler {
    return async (event) => {
      this.currentState = state;
      this.inject(state, 'before');
      const out = await fn(event);
      this.inject(state, 'after');
      return out;
    };
  }

  /** The `aws-sdk:eks:*` tasks through the sandbox's integration, on this world's EKS client; an injected error is named as EKS's would be. */
  private sdkIntegration(): SdkIntegration {
    const eks = eksIntegration((region) => this.ports.eks(region));
    const inject = (service: string, state: string, when: 'before' | 'after') => {
      try {
        this.inject(state, when);
      } catch (e) {
        throw sdkIntegrationError(service, e);
      }
    };
    return async (service, action, parameters, region, task) => {
      this.currentState = task.state;
      inject(service, task.state, 'before');
      const out = await eks(service, action, parameters, region, task);
      inject(service, task.state, 'after');
      return out;
    };
  }

  /**
   * The approver. It answers once the request was delivered (the function returned and the task
   * is waiting: developer guide, "Wait for a Callback with Task Token"), so after this turn of
   * the event loop; 'never' leaves the Task to its timeout (States.Timeout).
   */
  private answer(taskToken: string): void {
    const answer = this.approval;
    if (answer === 'never') return;
    setImmediate(() => {
      try {
        if ('reject' in answer) this.stepFunctions.sendTaskFailure({ taskToken, error: answer.reject.error, cause: answer.reject.cause });
        else this.stepFunctions.sendTaskSuccess({ taskToken, output: JSON.stringify(answer.approve) });
      } catch (e) {
        this.approverError = e;
      }
    });
  }

  /** Each Lambda function ARN of the definition bound to the handler of the state that invokes it. */
  private lambdas(definition: StateMachineDefinition): Record<string, LambdaHandler> {
    const handlers = this.handlers();
    const out: Record<string, LambdaHandler> = {};
    for (const [state, raw] of Object.entries(definition.States)) {
      const fn = functionOf(raw as Parameters<typeof functionOf>[0]);
      if (!fn) continue;
      const handler = handlers[state];
      if (!handler) throw new Error(`the world has no handler for state "${state}"`);
      if (out[fn]) throw new Error(`${fn} is invoked by two states; the world binds one handler per state`);
      out[fn] = this.lambda(state, handler);
    }
    return out;
  }

  /** The real handler of each Task state that invokes a Lambda function, on this world's ports. */
  private handlers(): Record<string, (event: never) => Promise<unknown>> {
    const p = this.ports;
    const requestApproval = makeRequestApproval(p);
    return {
      'Validate input': (e: ValidateInputEvent) => validateInput(e),
      'Describe cluster': makeDescribeCluster(p),
      'Back up aws-auth and access entries': makeBackup(p),
      'Plan conversion': makePlan(p),
      'Re-list access entries': makeRelist(p),
      'Create access entries': makeCreateEntries(p),
      'Verify access entries': makeVerify(p),
      // lambda:invoke.waitForTaskToken: the function records the request; the state's result is
      // what the approver sends with the request's token, not the function's return value.
      'Wait for approval': async (request: { taskToken: string }) => {
        const out = await requestApproval(request);
        this.approvalRequests.push(request);
        this.answer(request.taskToken);
        return out;
      },
      'Re-check before API': makeRecheck(p),
      Report: makeReport(p),
      'Roll back': makeRollback(p),
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
