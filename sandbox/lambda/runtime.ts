/**
 * Lambda in the sandbox: each deployed function runs in its own execution environment (a worker
 * thread, ./worker.mjs) with the environment Lambda gives it — the function's variables from the
 * synthesized app (EAP_CONFIG and the rest), the sandbox's endpoints, and temporary credentials of
 * the function's own execution role issued by the sandbox (Lambda Developer Guide, "Defining Lambda
 * function permissions with an execution role": the function's SDK calls are made with its
 * role's credentials). So every AWS call a handler makes is signed as its role, and the sandbox's
 * IAM enforcement (sandbox/iam) checks it against that role's policies.
 *
 * A worker is started on the first invocation (the cold start) and kept for the next ones; one
 * invocation runs at a time per worker, extra concurrent invocations queue, as with a function
 * whose reserved concurrency is 1. A thrown error comes back as an Error with the handler's error
 * name and message, as Lambda reports `errorType`/`errorMessage`.
 */
import { Worker } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import type { IamEnforcer } from '#sandbox/iam/enforcer';
import type { SandboxClock } from '#sandbox/clock';

const REPO_ROOT = new URL('../../', import.meta.url);

export interface FunctionSpec {
  /** The function's name (its ARN's last part). */
  name: string;
  /** The handler module, relative to the repository root (`functions/access/provisioner/handler.ts`). */
  entry: string;
  /** The execution role's name in the deployed app; the worker gets a session of it. */
  roleName: string;
  /** The function's environment variables (from the synthesized app). */
  environment: Record<string, string>;
  region: string;
  timeoutMs?: number;
}

interface Environment {
  worker: Worker;
  ready: Promise<void>;
  queue: Promise<unknown>;
  pending: Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>;
}

export class LambdaRuntime {
  private readonly specs = new Map<string, FunctionSpec>();
  private readonly running = new Map<string, Environment>();

  /**
   * @param baseEnv what every function sees besides its own variables: the sandbox's endpoints
   *   and region (the sandbox's `env`, minus its own credentials, which are replaced per role).
   * @param clock the sandbox's clock: each environment's `Date` reads it (./worker.mjs), so the
   *   handlers' "now" is the sandbox's; real time when absent.
   */
  constructor(
    private readonly iam: IamEnforcer,
    private readonly baseEnv: Record<string, string>,
    private readonly accountId: string,
    private readonly clock?: SandboxClock,
  ) {}

  define(spec: FunctionSpec): void {
    this.specs.set(spec.name, spec);
  }

  /** The function bundled from `entry` (repository-relative), e.g. the provisioner's name. */
  functionFor(entry: string): string {
    const found = [...this.specs.values()].find((s) => s.entry === entry);
    if (!found) throw new Error(`no deployed function is built from ${entry}`);
    return found.name;
  }

  /** Invokes the function with this ARN (a rule's target, sandbox/eventbridge.ts), as `invoke` does. */
  invokeArn(functionArn: string, event: unknown): Promise<unknown> {
    return this.invoke(functionArn.split(':').at(-1)!, event);
  }

  /** Invokes `name` with `event` (RequestResponse): the handler's result, or its error. */
  invoke(name: string, event: unknown): Promise<unknown> {
    const env = this.environment(name);
    const id = randomUUID();
    const run = env.queue.then(async () => {
      await env.ready;
      return new Promise<unknown>((resolve, reject) => {
        env.pending.set(id, { resolve, reject });
        env.worker.postMessage({ id, event: JSON.parse(JSON.stringify(event ?? null)), requestId: id });
      });
    });
    env.queue = run.catch(() => undefined);
    return run;
  }

  private environment(name: string): Environment {
    const existing = this.running.get(name);
    if (existing) return existing;
    const spec = this.specs.get(name);
    if (!spec) throw new Error(`the sandbox has no Lambda function ${name} (defined: ${[...this.specs.keys()].join(', ')})`);
    const creds = this.iam.issueRoleCredentials(spec.roleName, name);
    const worker = new Worker(new URL('./worker.mjs', import.meta.url), {
      env: {
        ...process.env,
        ...this.baseEnv,
        ...spec.environment,
        AWS_REGION: spec.region,
        AWS_DEFAULT_REGION: spec.region,
        AWS_LAMBDA_FUNCTION_NAME: spec.name,
        AWS_ACCESS_KEY_ID: creds.accessKeyId,
        AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
        AWS_SESSION_TOKEN: creds.sessionToken,
      },
      workerData: {
        entryUrl: new URL(spec.entry, REPO_ROOT).href,
        functionName: spec.name,
        region: spec.region,
        account: this.accountId,
        timeoutMs: spec.timeoutMs ?? 900_000,
        ...(this.clock ? { clock: this.clock.shared } : {}),
      },
    });
    const pending = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    let markReady!: () => void;
    let failInit!: (e: Error) => void;
    const ready = new Promise<void>((resolve, reject) => {
      markReady = resolve;
      failInit = reject;
    });
    worker.on('message', (m: { ready?: true; id?: string; ok?: boolean; result?: unknown; error?: { name: string; message: string; stack?: string } }) => {
      if (m.ready) return markReady();
      const p = pending.get(m.id ?? '');
      if (!p) return;
      pending.delete(m.id!);
      if (m.ok) p.resolve(m.result);
      else p.reject(Object.assign(new Error(m.error?.message ?? 'Unknown error'), { name: m.error?.name ?? 'Error', stack: m.error?.stack }));
    });
    worker.on('error', (e) => {
      // An init failure or a crash: every waiting invocation fails with it, and the next one starts a new environment.
      failInit(e);
      for (const p of pending.values()) p.reject(e);
      pending.clear();
      this.running.delete(name);
    });
    // Workers must not keep a finished sandbox process alive.
    worker.unref();
    const env: Environment = { worker, ready, queue: Promise.resolve(), pending };
    this.running.set(name, env);
    return env;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.running.values()].map((e) => e.worker.terminate()));
    this.running.clear();
  }
}
