/**
 * The sandbox: the in-process AWS model (sandbox/model) served over HTTP on 127.0.0.1, so the
 * unmodified SDK clients reach it through `AWS_ENDPOINT_URL_<SERVICE>` — the same code paths
 * (signing, serialization, retries, error parsing) as against AWS. One port serves every AWS
 * service (EKS, IAM, S3, STS, Step Functions, CloudTrail, EventBridge, SQS, CloudFormation, IAM
 * Identity Center's sso-admin, EventBridge Scheduler); the
 * router picks the service from the SigV4 credential scope. Each cluster's Kubernetes API is served over TLS on a second port, at the
 * endpoint and with the CA that DescribeCluster returns, as EKS does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AwsModel, WORKFLOW_ROLE_NAME, type AwsModelOptions, type IdentityCenterModel } from '#sandbox/model/index';
import { StepFunctionsModel } from '#sandbox/stepfunctions/model';
import { FaultInjector, type Faults } from './faults.ts';
import { credentialScope, Router, type SandboxRequest, type ServiceHandler } from './router.ts';
import { seedDeployment, seedTrail } from './deployment.ts';
import { applySeed, loadSeed, type SandboxSeed } from './seed.ts';
import { cloudFormationService } from './services/cloudformation.ts';
import { cloudTrailService } from './services/cloudtrail.ts';
import { eksService } from './services/eks.ts';
import { eventsService } from './services/events.ts';
import { iamService } from './services/iam.ts';
import { kubernetesPath, kubernetesService } from './services/kubernetes.ts';
import { s3Service } from './services/s3.ts';
import { schedulerService } from './services/scheduler.ts';
import { sqsService } from './services/sqs.ts';
import { ssoAdminService } from './services/sso-admin.ts';
import { stepFunctionsService } from './services/stepfunctions.ts';
import { stsService } from './services/sts.ts';
import { makeServerTls } from './tls.ts';
import type { ConfigInput } from '#kernel/config';
import { refusalResponse } from '#sandbox/iam/denied';
import { synthesizeDeployedApp } from '#sandbox/iam/deployed';
import { IamEnforcer } from '#sandbox/iam/enforcer';
import { PolicyEvaluator } from '#sandbox/iam/evaluate';
import { PrincipalPolicySimulator } from '#sandbox/iam/simulate';
import { defineFunctions } from '#sandbox/lambda/deployed';
import { LambdaRuntime } from '#sandbox/lambda/runtime';
import type { SandboxClock } from '#sandbox/clock';
import type { Identity } from '#sandbox/iam/enforcer';
import type { Schedule, SchedulerModel } from '#sandbox/model/scheduler';

export type { Faults, ThrottleFault } from './faults.ts';
export type { SandboxSeed } from './seed.ts';
export type { ServiceHandler, SandboxRequest, SandboxResponse, ResolvedCall } from './router.ts';
export { applySeed, loadSeed, parseSeed, IDENTITY_CENTER_READ_ROLE } from './seed.ts';
export { IDENTITY_CENTER_TPS } from './services/sso-admin.ts';
export { SANDBOX_TRAIL } from './deployment.ts';

export interface SandboxOptions {
  /** The model to serve; a new one (with `modelOptions`) when absent. */
  model?: AwsModel;
  modelOptions?: AwsModelOptions;
  /** Principals and clusters to create first: a seed object or the path of a seed JSON file. */
  seed?: SandboxSeed | string;
  /** 0 (default): a free port chosen by the OS. */
  port?: number;
  /** AWS_REGION and AWS_DEFAULT_REGION in `env`, and the EKS region of requests that carry no credential scope. */
  region?: string;
  faults?: Faults;
  /** More services served on the same port. */
  services?: (model: AwsModel) => ServiceHandler[];
  /**
   * Who the sandbox's own access key (the one in `env`) signs as: STS GetCallerIdentity's answer
   * and the identity the Kubernetes API sees in its EKS tokens. Default: a session of the
   * migration workflow's role, `arn:aws:sts::<account>:assumed-role/eks-access-pilot-MigrationRole/sandbox`.
   */
  callerArn?: string;
  /** Step Functions timing: Wait states and Retry intervals shortened to these many ms (default 0 and 0). */
  stepFunctions?: { waitMs?: number; retryIntervalMs?: number };
  /**
   * IAM enforcement (on by default): the app is synthesized with this configuration (raw, as in
   * cdk.json), and every AWS call signed with credentials the sandbox issued for one of its roles
   * is checked against that role's policies. `false` turns it off for a test that needs that.
   */
  iam?: { config: ConfigInput } | false;
  /** The operator's key pair (default: the sandbox's own); a test that signs with fixed credentials names them here. */
  operator?: { accessKeyId: string; secretAccessKey: string };
  /**
   * The account's trail (default true): one multi-region trail in `region`, logging every
   * management event (./deployment.ts, SANDBOX_TRAIL). `false`: an account without a trail, where
   * IAM's calls never reach EventBridge.
   */
  trail?: boolean;
  /**
   * IAM Identity Center's admin API throttle: calls per second across its operations (default
   * 20, the published limit); `false` never throttles.
   */
  identityCenterTps?: number | false;
}

export interface Sandbox {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** What to export so SDK clients, the CLI or a handler use this sandbox. */
  env: Record<string, string>;
  model: AwsModel;
  /** Step Functions: register state machines here (sandbox/stepfunctions/migration.ts binds the migration). */
  stepFunctions: StepFunctionsModel;
  /** `https://127.0.0.1:<port>`: where the clusters' Kubernetes APIs are served. */
  kubernetesUrl: string;
  /** The PEM of the CA that signed the Kubernetes API's certificate (DescribeCluster's `certificateAuthority.data`, decoded). */
  kubernetesCaPem: string;
  /** IAM enforcement: issue a role's credentials, read the decisions (undefined when turned off). */
  iam: IamEnforcer | undefined;
  /** The deployed app's Lambda functions, each run as its own role (undefined when IAM is off). */
  lambda: LambdaRuntime | undefined;
  /**
   * IAM Identity Center (seed `identityCenter`): tag and untag a permission set, provision it to
   * an account (Identity Center creates its role in IAM, and IAM's events reach the app),
   * re-provision it (the role is re-created: same name, new ID), unassign it (the role goes).
   */
  identityCenter: IdentityCenterModel;
  /**
   * The sandbox's "now" (sandbox/clock.ts): real time plus an offset. `advance(ms)` / `set(date)`
   * move it forward and resolve once the schedules that came due have fired. The deployed
   * functions read it as their own wall clock (`Date.now()`, `new Date()` in their workers).
   */
  clock: SandboxClock;
  /**
   * EventBridge Scheduler: its schedules, and `invocations` (every target invocation, failed ones
   * with their error). A one-time schedule fires when the clock reaches its time, invoking its
   * Lambda target as the schedule's execution role (lambda:InvokeFunction checked against that
   * role's synthesized policies).
   */
  scheduler: SchedulerModel;
  /** The fault knobs, settable while the server runs. */
  faults: FaultInjector;
  /** Requests per service and operation (throttled and failed ones included). */
  calls(): Record<string, Record<string, number>>;
  /** Throttled requests per service and operation. */
  throttled(): Record<string, Record<string, number>>;
  resetCounts(): void;
  stop(): Promise<void>;
}

/**
 * The operator's access key: an administrator outside the app, what the printed exports and the
 * CLI sign with. The sandbox verifies its signatures like any other key's.
 */
const OPERATOR_ACCESS_KEY_ID = 'AKIASANDBOXEXAMPLE01';
const OPERATOR_SECRET_ACCESS_KEY = 'sandbox/operator/secret';

/** Closes a server, ending the keep-alive connections SDK clients hold (else close() waits for them). */
function close(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.close((e) => (e ? reject(e) : resolve()));
    server.closeAllConnections();
  });
}

async function listen(server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const model = options.model ?? new AwsModel(options.modelOptions);
  const region = options.region ?? 'eu-west-1';
  if (options.seed !== undefined) applySeed(model, typeof options.seed === 'string' ? loadSeed(options.seed) : options.seed, { region });
  const operator = options.operator ?? { accessKeyId: OPERATOR_ACCESS_KEY_ID, secretAccessKey: OPERATOR_SECRET_ACCESS_KEY };
  const faults = new FaultInjector();
  if (options.faults) faults.set(options.faults);
  // The sandbox's own key is a known identity: STS answers for it and EKS tokens signed with it verify.
  model.addAccessKey({
    accessKeyId: operator.accessKeyId,
    secretAccessKey: operator.secretAccessKey,
    arn: options.callerArn ?? `arn:aws:sts::${model.accountId}:assumed-role/${WORKFLOW_ROLE_NAME}/sandbox`,
  });
  const stepFunctions = new StepFunctionsModel({
    accountId: model.accountId,
    region,
    waitMs: options.stepFunctions?.waitMs ?? 0,
    retryIntervalMs: options.stepFunctions?.retryIntervalMs ?? 0,
  });
  const iam = options.iam === false ? undefined : new IamEnforcer(model, synthesizeDeployedApp(options.iam?.config ?? defaultConfig(model, region), { accountId: model.accountId }));
  // CloudFormation creates the app's roles: they exist in IAM like any other role.
  for (const role of iam?.app.roles.values() ?? []) {
    try {
      model.iam.createRole({ RoleName: role.name, Path: role.path, AssumeRolePolicyDocument: '{"Version":"2012-10-17","Statement":[]}' });
    } catch {
      // already seeded
    }
  }
  // The sandbox's own key is the operator's: an administrator outside the app.
  iam?.registerAdministrator(operator.accessKeyId, `arn:aws:iam::${model.accountId}:role/Administrator`);
  // iam:SimulatePrincipalPolicy answers with the enforcer's own evaluation and the app's policies.
  const simulator = new PrincipalPolicySimulator(model.iam, iam?.app, iam?.evaluator ?? new PolicyEvaluator());
  const router = new Router(faults)
    .add(eksService(model.eks, region))
    .add(iamService(model.iam, simulator))
    .add(s3Service(model.s3))
    .add(stsService(model, iam))
    .add(stepFunctionsService(stepFunctions, region))
    .add(cloudTrailService(model.cloudtrail, region))
    .add(eventsService(model.events, region))
    .add(sqsService(model.sqs, region))
    .add(cloudFormationService(model.cloudformation, region))
    .add(ssoAdminService(model.identityCenter, region, options.identityCenterTps === undefined ? {} : { tps: options.identityCenterTps }))
    .add(schedulerService(model.scheduler, region))
    .add(kubernetesService(model));
  for (const s of options.services?.(model) ?? []) router.add(s);
  if (iam) {
    router.setGate(async (req, handler, call) => {
      const checked = await iam.verify(req);
      if (!checked.identity) return refusalResponse(req, handler.signingName, checked.refusal ?? 'BadSignature', checked.message ?? '');
      let decision;
      try {
        decision = await iam.authorize(checked.identity, {
          service: handler.signingName,
          operation: call.operation,
          input: call.input,
          region: req.region ?? region,
          accountId: model.accountId,
          partition: iam.app.partition,
        });
      } catch (e) {
        // An operation the sandbox serves but cannot authorize: refused, never let through, and
        // never a 5xx the SDK would retry.
        return refusalResponse(req, handler.signingName, 'AccessDenied', (e as Error).message);
      }
      return decision.allowed ? undefined : refusalResponse(req, handler.signingName, 'AccessDenied', decision.message);
    });
  }

  const serve = (req: IncomingMessage, res: ServerResponse) => {
    handle(router, req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`sandbox: ${(e as Error).message}`);
    });
  };
  const server = createServer(serve);
  const url = `http://127.0.0.1:${await listen(server, options.port ?? 0)}`;
  // Queue URLs point at the sandbox: the SDK sends each SQS call to its QueueUrl's host.
  model.sqs.serveAt(url);
  if (options.trail !== false) seedTrail(model, region);
  if (iam) seedDeployment(model, iam.app);
  const tls = makeServerTls();
  const tlsServer = createTlsServer({ key: tls.keyPem, cert: tls.certPem }, serve);
  const kubernetesUrl = `https://127.0.0.1:${await listen(tlsServer, 0)}`;
  const caData = Buffer.from(tls.caPem, 'utf8').toString('base64');
  model.eks.serveApiAt((r, name) => ({ endpoint: `${kubernetesUrl}${kubernetesPath(r, name)}`, caData }));

  const env: Record<string, string> = {
      AWS_ENDPOINT_URL_EKS: url,
      AWS_ENDPOINT_URL_IAM: url,
      AWS_ENDPOINT_URL_S3: url,
      AWS_ENDPOINT_URL_STS: url,
      AWS_ENDPOINT_URL_SFN: url,
      // The service IDs of the SDK and botocore models: CloudTrail, EventBridge, SQS, CloudFormation.
      AWS_ENDPOINT_URL_CLOUDTRAIL: url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: url,
      AWS_ENDPOINT_URL_SQS: url,
      AWS_ENDPOINT_URL_CLOUDFORMATION: url,
      // IAM Identity Center's admin API: service ID "SSO Admin".
      AWS_ENDPOINT_URL_SSO_ADMIN: url,
      // EventBridge Scheduler: service ID "Scheduler".
      AWS_ENDPOINT_URL_SCHEDULER: url,
      AWS_REGION: region,
      // aws-cli v1 (botocore) reads only AWS_DEFAULT_REGION ("You must specify a region" without it).
      AWS_DEFAULT_REGION: region,
      AWS_ACCESS_KEY_ID: operator.accessKeyId,
      AWS_SECRET_ACCESS_KEY: operator.secretAccessKey,
      // Keep the SDK off the instance metadata service and quiet about Node 20.
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
  const lambda = iam ? defineFunctions(new LambdaRuntime(iam, env, model.accountId, model.clock), iam.app) : undefined;
  if (iam && lambda) {
    // Until the app declares its schedule group, the group a function names is created on first use.
    model.scheduler.setCreateMissingGroups(iam.app.scheduleGroups.length === 0);
    model.scheduler.setInvoker(scheduleInvoker(iam, lambda));
  }
  return {
    url,
    env,
    model,
    stepFunctions,
    kubernetesUrl,
    kubernetesCaPem: tls.caPem,
    faults,
    iam,
    lambda,
    identityCenter: model.identityCenter,
    clock: model.clock,
    scheduler: model.scheduler,
    calls: () => router.calls(),
    throttled: () => router.throttled(),
    resetCounts: () => router.resetCounts(),
    stop: async () => {
      model.scheduler.stop();
      await Promise.all([close(server), close(tlsServer), lambda?.stop()]);
    },
  };
}

async function handle(router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const target = req.url ?? '/';
  const q = target.indexOf('?');
  const query = new URLSearchParams(q >= 0 ? target.slice(q + 1) : '');
  const scope = credentialScope(req.headers, query);
  const request: SandboxRequest = {
    method: req.method ?? 'GET',
    rawPath: q >= 0 ? target.slice(0, q) : target,
    query,
    headers: req.headers,
    body: Buffer.concat(chunks),
    ...(scope ? { signingService: scope.service, region: scope.region } : {}),
    requestId: randomUUID(),
  };
  const response = await router.route(request);
  // A HEAD answer keeps the Content-Length of what GET would send (RFC 9110 §9.3.2).
  const length = req.method === 'HEAD' && response.headers['content-length'] !== undefined ? response.headers['content-length'] : Buffer.byteLength(response.body);
  res.writeHead(response.status, { ...response.headers, 'content-length': length });
  res.end(response.body);
}

/**
 * How a schedule reaches its target: EventBridge Scheduler assumes the schedule's execution role
 * and calls the target's API with it (Scheduler User Guide, "Set up the execution role"), for a
 * Lambda function lambda:InvokeFunction with Target.Input as the event. The sandbox checks that
 * call against the role's synthesized policies, then runs the function in its runtime. A role
 * outside the deployed app has no policies the sandbox knows: the invocation fails. The role's
 * trust policy (scheduler.amazonaws.com) is not checked.
 */
function scheduleInvoker(iam: IamEnforcer, lambda: LambdaRuntime): (schedule: Schedule) => Promise<unknown> {
  const sessions = new Map<string, Identity>();
  return async (schedule) => {
    const roleArn = schedule.target.RoleArn ?? '';
    const roleName = roleArn.split('/').at(-1)!;
    const role = iam.app.roles.get(roleName);
    if (!role || role.arn !== roleArn) throw new Error(`the execution role ${roleArn} is not a role of the deployed app; the sandbox knows no policies for it`);
    let identity = sessions.get(roleName);
    if (!identity) sessions.set(roleName, (identity = iam.identityOf(iam.issueRoleCredentials(roleName, 'scheduler').accessKeyId)!));
    const functionArn = schedule.target.Arn ?? '';
    if (!/^arn:[^:]+:lambda:/.test(functionArn)) throw new Error(`the sandbox invokes Lambda targets only, not ${functionArn}`);
    const decision = await iam.authorize(identity, { service: 'lambda', operation: 'Invoke', input: { FunctionName: functionArn }, region: functionArn.split(':')[3]!, accountId: iam.app.accountId, partition: iam.app.partition });
    if (!decision.allowed) throw Object.assign(new Error(decision.message), { name: 'AccessDeniedException' });
    return lambda.invokeArn(functionArn, schedule.target.Input === undefined ? {} : JSON.parse(schedule.target.Input));
  };
}

/** The configuration a sandbox enforces when the caller gives none: every seeded cluster is managed. */
function defaultConfig(model: AwsModel, region: string): ConfigInput {
  const names = model.eks.listClusters(region).clusters ?? [];
  return { homeRegion: region, clusters: names.length ? names.map((name) => ({ name, region })) : [{ name: 'sandbox', region }] };
}
