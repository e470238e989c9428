/**
 * The sandbox: the in-process AWS model (sandbox/model) served over HTTP on 127.0.0.1, so the
 * unmodified SDK clients reach it through `AWS_ENDPOINT_URL_<SERVICE>` — the same code paths
 * (signing, serialization, retries, error parsing) as against AWS. One port serves every AWS
 * service (EKS, IAM, S3, STS, Step Functions); the router picks the service from the SigV4
 * credential scope. Each cluster's Kubernetes API is served over TLS on a second port, at the
 * endpoint and with the CA that DescribeCluster returns, as EKS does.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { AwsModel, WORKFLOW_ROLE_NAME, type AwsModelOptions } from '#sandbox/model/index';
import { StepFunctionsModel } from '#sandbox/stepfunctions/model';
import { FaultInjector, type Faults } from './faults.ts';
import { credentialScope, Router, type SandboxRequest, type ServiceHandler } from './router.ts';
import { applySeed, loadSeed, type SandboxSeed } from './seed.ts';
import { eksService } from './services/eks.ts';
import { iamService } from './services/iam.ts';
import { kubernetesPath, kubernetesService } from './services/kubernetes.ts';
import { s3Service } from './services/s3.ts';
import { stepFunctionsService } from './services/stepfunctions.ts';
import { stsService } from './services/sts.ts';
import { makeServerTls } from './tls.ts';

export type { Faults, ThrottleFault } from './faults.ts';
export type { SandboxSeed } from './seed.ts';
export type { ServiceHandler, SandboxRequest, SandboxResponse, ResolvedCall } from './router.ts';
export { applySeed, loadSeed, parseSeed } from './seed.ts';

export interface SandboxOptions {
  /** The model to serve; a new one (with `modelOptions`) when absent. */
  model?: AwsModel;
  modelOptions?: AwsModelOptions;
  /** Principals and clusters to create first: a seed object or the path of a seed JSON file. */
  seed?: SandboxSeed | string;
  /** 0 (default): a free port chosen by the OS. */
  port?: number;
  /** AWS_REGION in `env`, and the EKS region of requests that carry no credential scope. */
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
  /** The fault knobs, settable while the server runs. */
  faults: FaultInjector;
  /** Requests per service and operation (throttled and failed ones included). */
  calls(): Record<string, Record<string, number>>;
  /** Throttled requests per service and operation. */
  throttled(): Record<string, Record<string, number>>;
  resetCounts(): void;
  stop(): Promise<void>;
}

// SigV4 needs some credentials; the sandbox does not check signatures.
const DUMMY_ACCESS_KEY_ID = 'AKIASANDBOXEXAMPLE01';
const DUMMY_SECRET_ACCESS_KEY = 'sandbox/secret/not-checked';

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
  if (options.seed !== undefined) applySeed(model, typeof options.seed === 'string' ? loadSeed(options.seed) : options.seed);
  const region = options.region ?? 'eu-west-1';
  const faults = new FaultInjector();
  if (options.faults) faults.set(options.faults);
  // The sandbox's own key is a known identity: STS answers for it and EKS tokens signed with it verify.
  model.addAccessKey({
    accessKeyId: DUMMY_ACCESS_KEY_ID,
    secretAccessKey: DUMMY_SECRET_ACCESS_KEY,
    arn: options.callerArn ?? `arn:aws:sts::${model.accountId}:assumed-role/${WORKFLOW_ROLE_NAME}/sandbox`,
  });
  const stepFunctions = new StepFunctionsModel({
    accountId: model.accountId,
    region,
    waitMs: options.stepFunctions?.waitMs ?? 0,
    retryIntervalMs: options.stepFunctions?.retryIntervalMs ?? 0,
  });
  const router = new Router(faults)
    .add(eksService(model.eks, region))
    .add(iamService(model.iam))
    .add(s3Service(model.s3))
    .add(stsService(model))
    .add(stepFunctionsService(stepFunctions))
    .add(kubernetesService(model));
  for (const s of options.services?.(model) ?? []) router.add(s);

  const serve = (req: IncomingMessage, res: ServerResponse) => {
    handle(router, req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`sandbox: ${(e as Error).message}`);
    });
  };
  const server = createServer(serve);
  const url = `http://127.0.0.1:${await listen(server, options.port ?? 0)}`;
  const tls = makeServerTls();
  const tlsServer = createTlsServer({ key: tls.keyPem, cert: tls.certPem }, serve);
  const kubernetesUrl = `https://127.0.0.1:${await listen(tlsServer, 0)}`;
  const caData = Buffer.from(tls.caPem, 'utf8').toString('base64');
  model.eks.serveApiAt((r, name) => ({ endpoint: `${kubernetesUrl}${kubernetesPath(r, name)}`, caData }));

  return {
    url,
    env: {
      AWS_ENDPOINT_URL_EKS: url,
      AWS_ENDPOINT_URL_IAM: url,
      AWS_ENDPOINT_URL_S3: url,
      AWS_ENDPOINT_URL_STS: url,
      AWS_ENDPOINT_URL_SFN: url,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: DUMMY_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: DUMMY_SECRET_ACCESS_KEY,
      // Keep the SDK off the instance metadata service and quiet about Node 20.
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    model,
    stepFunctions,
    kubernetesUrl,
    kubernetesCaPem: tls.caPem,
    faults,
    calls: () => router.calls(),
    throttled: () => router.throttled(),
    resetCounts: () => router.resetCounts(),
    stop: async () => {
      await Promise.all([close(server), close(tlsServer)]);
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
