/**
 * A small router: one handler module per AWS service (EKS, IAM now; S3, Step Functions and the
 * Kubernetes API later), chosen by the service name in the request's SigV4 credential scope —
 * every SDK request is signed, and the scope names the service and region it was signed for,
 * so one port can serve every service. Requests that are not SigV4-signed (the Kubernetes API
 * with its bearer token) are claimed by a handler's own `claims` test.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FaultInjector } from './faults.ts';

export interface SandboxRequest {
  method: string;
  /** The path as sent, still percent-encoded (URI labels may contain encoded slashes). */
  rawPath: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** From the SigV4 credential scope; undefined for unsigned requests. */
  signingService?: string;
  region?: string;
  requestId: string;
}

export interface SandboxResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A request a service has recognised as one of its operations, ready to be served. */
export interface ResolvedCall {
  operation: string;
  /** The operation's input, decoded (for failure records). */
  input: Record<string, unknown>;
  /** Synchronous for the model's own rules; a promise where serving needs async work (SigV4). */
  serve(): SandboxResponse | Promise<SandboxResponse>;
}

export interface ServiceHandler {
  /** Key for call counts and fault knobs (`eks`, `iam`). */
  readonly service: string;
  /** The SigV4 signing name of the service (`eks`, `iam`, `s3`, `states`). */
  readonly signingName: string;
  /** For unsigned requests: does this handler serve it? */
  claims?(req: SandboxRequest): boolean;
  /** The operation the request names, or the protocol's own error response when it names none. */
  resolve(req: SandboxRequest): ResolvedCall | SandboxResponse;
  /** The answer AWS gives a throttled call of this service. */
  throttled(req: SandboxRequest, call: ResolvedCall): SandboxResponse;
  /** The answer for a call failed on purpose with an error code (fault knob). */
  failed(req: SandboxRequest, call: ResolvedCall, code: string): SandboxResponse;
}

/**
 * `Authorization: AWS4-HMAC-SHA256 Credential=AKID/20261122/eu-west-1/eks/aws4_request, …`, or
 * the `X-Amz-Credential` query parameter of a presigned URL (SigV4 documentation, "Create a
 * signed request": the credential scope is date/region/service/aws4_request).
 */
export function credentialScope(headers: IncomingHttpHeaders, query: URLSearchParams): { region: string; service: string } | undefined {
  const auth = headers.authorization;
  const credential = /Credential=([^,\s]+)/.exec(typeof auth === 'string' ? auth : '')?.[1] ?? query.get('X-Amz-Credential') ?? undefined;
  const parts = credential?.split('/');
  if (!parts || parts.length < 5 || parts.at(-1) !== 'aws4_request') return undefined;
  const [region, service] = parts.slice(-3, -1) as [string, string];
  return { region, service };
}

/**
 * Decides, before a call is served, whether AWS would refuse it (authentication, IAM): the
 * refusal to send, or undefined to serve it.
 */
export type Gate = (req: SandboxRequest, handler: ServiceHandler, call: ResolvedCall) => Promise<SandboxResponse | undefined>;

export class Router {
  private readonly handlers: ServiceHandler[] = [];
  private gate: Gate | undefined;
  private readonly counts = new Map<string, Map<string, number>>();
  private readonly throttledCounts = new Map<string, Map<string, number>>();

  constructor(private readonly faults: FaultInjector) {}

  /** Checks every signed AWS call before it is served (sandbox/iam: SigV4 and IAM policies). */
  setGate(gate: Gate | undefined): this {
    this.gate = gate;
    return this;
  }

  add(handler: ServiceHandler): this {
    this.handlers.push(handler);
    return this;
  }

  /** Calls per service and operation, including throttled and failed ones. */
  calls(): Record<string, Record<string, number>> {
    return snapshot(this.counts);
  }

  /** Throttled calls per service and operation. */
  throttled(): Record<string, Record<string, number>> {
    return snapshot(this.throttledCounts);
  }

  resetCounts(): void {
    this.counts.clear();
    this.throttledCounts.clear();
  }

  async route(req: SandboxRequest): Promise<SandboxResponse> {
    const handler =
      (req.signingService !== undefined ? this.handlers.find((h) => h.signingName === req.signingService) : undefined) ??
      this.handlers.find((h) => h.claims?.(req));
    if (!handler) {
      return {
        status: 400,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          message: `the sandbox serves no service for this request (SigV4 service ${req.signingService ?? 'none'}; serves ${this.handlers.map((h) => h.signingName).join(', ')})`,
        }),
      };
    }
    const call = handler.resolve(req);
    if (!('operation' in call)) return call;
    bump(this.counts, handler.service, call.operation);
    if (this.gate && req.signingService !== undefined) {
      const refused = await this.gate(req, handler, call);
      if (refused) return refused;
    }
    const latency = this.faults.latencyMs();
    if (latency > 0) await sleep(latency);
    if (this.faults.throttles(handler.service, call.operation)) {
      bump(this.throttledCounts, handler.service, call.operation);
      return handler.throttled(req, call);
    }
    const code = this.faults.failure(handler.service, call.operation);
    if (code !== undefined) return handler.failed(req, call, code);
    return await call.serve();
  }
}

function bump(counts: Map<string, Map<string, number>>, service: string, operation: string): void {
  let perService = counts.get(service);
  if (!perService) counts.set(service, (perService = new Map()));
  perService.set(operation, (perService.get(operation) ?? 0) + 1);
}

function snapshot(counts: Map<string, Map<string, number>>): Record<string, Record<string, number>> {
  return Object.fromEntries([...counts].map(([s, ops]) => [s, Object.fromEntries(ops)]));
}
