/**
 * The sandbox: the in-process AWS model (sandbox/model) served over HTTP on 127.0.0.1, so the
 * unmodified SDK clients reach it through `AWS_ENDPOINT_URL_<SERVICE>` — the same code paths
 * (signing, serialization, retries, error parsing) as against AWS. One port serves every
 * service; the router picks the service from the SigV4 credential scope.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AwsModel, type AwsModelOptions } from '#sandbox/model/index';
import { FaultInjector, type Faults } from './faults.ts';
import { credentialScope, Router, type SandboxRequest, type ServiceHandler } from './router.ts';
import { applySeed, loadSeed, type SandboxSeed } from './seed.ts';
import { eksService } from './services/eks.ts';
import { iamService } from './services/iam.ts';

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
  /** More services (S3, Step Functions, the Kubernetes API) served on the same port. */
  services?: (model: AwsModel) => ServiceHandler[];
}

export interface Sandbox {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** What to export so SDK clients, the CLI or a handler use this sandbox. */
  env: Record<string, string>;
  model: AwsModel;
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

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const model = options.model ?? new AwsModel(options.modelOptions);
  if (options.seed !== undefined) applySeed(model, typeof options.seed === 'string' ? loadSeed(options.seed) : options.seed);
  const region = options.region ?? 'eu-west-1';
  const faults = new FaultInjector();
  if (options.faults) faults.set(options.faults);
  const router = new Router(faults).add(eksService(model.eks, region)).add(iamService(model.iam));
  for (const s of options.services?.(model) ?? []) router.add(s);

  const server = createServer((req, res) => {
    handle(router, req, res).catch((e: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`sandbox: ${(e as Error).message}`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    env: {
      AWS_ENDPOINT_URL_EKS: url,
      AWS_ENDPOINT_URL_IAM: url,
      AWS_REGION: region,
      AWS_ACCESS_KEY_ID: DUMMY_ACCESS_KEY_ID,
      AWS_SECRET_ACCESS_KEY: DUMMY_SECRET_ACCESS_KEY,
      // Keep the SDK off the instance metadata service and quiet about Node 20.
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    model,
    faults,
    calls: () => router.calls(),
    throttled: () => router.throttled(),
    resetCounts: () => router.resetCounts(),
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        // SDK clients keep connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      }),
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
  res.writeHead(response.status, { ...response.headers, 'content-length': Buffer.byteLength(response.body) });
  res.end(response.body);
}
