/**
 * IAM in the sandbox: who signed a request (SigV4, verified with the secret the sandbox issued for
 * that key), and whether the deployed app's policies let that identity make the call. The
 * policies are the synthesized app's (./deployed.ts); the evaluation is ./evaluate.ts, the one
 * iam:SimulatePrincipalPolicy uses too. Its engine, @cloud-copilot/iam-simulate, is AGPL-3.0: a
 * devDependency used by the sandbox and the tests only, never bundled into a deployed function
 * (the build bundles functions/ only, and the lint walls keep functions/ from importing sandbox/).
 */
import { createHash, createHmac, randomBytes, type Hash, type Hmac } from 'node:crypto';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { allowedContextKeysForRequest } from '@cloud-copilot/iam-simulate';
import type { AwsModel } from '#sandbox/model/index';
import type { SandboxRequest } from '#sandbox/server/router';
import type { DeployedApp, PolicyDocument } from './deployed.ts';
import { PolicyEvaluator, type Decision as PolicyDecision } from './evaluate.ts';
import { authorizationRequests, type AuthorizationRequest, type CallSummary } from './requests.ts';

/**
 * SHA-256 and HMAC-SHA256 for the signer from Node's own crypto (the signer takes any class with
 * update/digest): the verification of every request runs in the sandbox's one thread, and the
 * pure-JavaScript hash made it the bottleneck of a 10,000-call resync.
 */
class NodeSha256 {
  private hash: Hash | Hmac;
  private readonly secret: Uint8Array | string | undefined;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.secret = secret === undefined || typeof secret === 'string' ? secret : ArrayBuffer.isView(secret) ? new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength) : new Uint8Array(secret);
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
  update(data: string | Uint8Array): void {
    this.hash.update(data);
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
  reset(): void {
    this.hash = this.secret === undefined ? createHash('sha256') : createHmac('sha256', this.secret);
  }
}

export interface IssuedCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** The session ARN the calls are made as: `arn:aws:sts::<account>:assumed-role/<role>/<session>`. */
  arn: string;
}

/** One authorization the sandbox decided: who, what, and the answer (kept while a journal is open). */
export interface JournalEntry {
  identity: Identity;
  request: AuthorizationRequest;
  call: CallSummary;
  allowed: boolean;
}

export interface Identity {
  /** The ARN in messages and in aws:PrincipalArn's session form. */
  arn: string;
  /** The role's own ARN (with path), what aws:PrincipalArn holds for a role session. */
  principalArn: string;
  /** Identity policies; undefined for an administrator (the operator). */
  policies?: Array<{ name: string; policy: PolicyDocument }>;
}

export type Decision = { allowed: true } | { allowed: false; action: string; resource: string; message: string };

export interface CheckedSignature {
  identity?: Identity;
  refusal?: 'UnknownKey' | 'BadSignature';
  message?: string;
}

/** The signed headers and values of an `Authorization: AWS4-HMAC-SHA256 …` header. */
function parseAuthorization(header: string | undefined): { accessKeyId: string; date: string; region: string; service: string; signedHeaders: string[]; signature: string } | undefined {
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/.exec(header ?? '');
  if (!m) return undefined;
  return { accessKeyId: m[1]!, date: m[2]!, region: m[3]!, service: m[4]!, signedHeaders: m[5]!.split(';'), signature: m[6]! };
}

export class IamEnforcer {
  private readonly identities = new Map<string, Identity>();
  private readonly allowedKeys = new Map<string, Promise<string[]>>();
  /** The one policy evaluation, shared with iam:SimulatePrincipalPolicy (./simulate.ts). */
  readonly evaluator = new PolicyEvaluator();
  /** Every (role, action) pair decided, allowed or not: what the suite exercised under enforcement. */
  readonly decisions = new Map<string, { allowed: number; denied: number }>();
  /** Every decision since `openJournal()`, for re-evaluating the same requests with other policies. */
  journal: JournalEntry[] | undefined;

  constructor(
    private readonly model: AwsModel,
    readonly app: DeployedApp,
  ) {}

  openJournal(): void {
    this.journal = [];
  }

  /** Credentials for a session of a deployed role, as STS AssumeRole would issue them. */
  issueRoleCredentials(roleName: string, sessionName: string): IssuedCredentials {
    const role = this.app.roles.get(roleName);
    if (!role) throw new Error(`no role ${roleName} in the deployed app (roles: ${[...this.app.roles.keys()].join(', ')})`);
    const arn = `arn:${this.app.partition}:sts::${this.app.accountId}:assumed-role/${role.name}/${sessionName}`;
    const creds = this.issue(arn);
    this.identities.set(creds.accessKeyId, { arn, principalArn: role.arn, policies: role.policies.map((p) => ({ name: p.name, policy: p.document })) });
    return creds;
  }

  /**
   * Credentials for a session of any role of the account, as STS AssumeRole issues them
   * (sandbox/server/services/sts.ts decides whether the caller may assume it): a role of the
   * deployed app is held to its synthesized policies, any other role to `policies` (the seed's).
   */
  issueSessionCredentials(role: { name: string; arn: string }, sessionName: string, policies: Array<{ name: string; policy: PolicyDocument }>): IssuedCredentials {
    const app = this.app.roles.get(role.name);
    const arn = `arn:${this.app.partition}:sts::${this.app.accountId}:assumed-role/${role.name}/${sessionName}`;
    const creds = this.issue(arn);
    const held = app && app.arn === role.arn ? app.policies.map((p) => ({ name: p.name, policy: p.document })) : policies;
    this.identities.set(creds.accessKeyId, { arn, principalArn: role.arn, policies: held });
    return creds;
  }

  /** The identity behind credentials the sandbox issued. */
  identityOf(accessKeyId: string): Identity | undefined {
    return this.identities.get(accessKeyId);
  }

  /**
   * Credentials of a principal outside the app with the identity policies given (a restricted
   * operator, e.g. one that may not read CloudTrail). `arn` is an IAM user's or an STS session's.
   */
  issueCredentials(arn: string, policies: Array<{ name: string; policy: PolicyDocument }>): IssuedCredentials {
    const creds = this.issue(arn);
    const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
    const principalArn = session ? `arn:${session[1]}:iam::${session[2]}:role/${session[3]}` : arn;
    this.identities.set(creds.accessKeyId, { arn, principalArn, policies });
    return creds;
  }

  /** Credentials of an administrator outside the app (the operator at a terminal). */
  registerAdministrator(accessKeyId: string, arn: string): void {
    this.identities.set(accessKeyId, { arn, principalArn: arn });
  }

  private issue(arn: string): IssuedCredentials {
    const creds = {
      // Temporary credentials of an assumed role start with ASIA (IAM User Guide, "IAM identifiers").
      accessKeyId: `ASIA${randomBytes(8).toString('hex').toUpperCase()}`,
      secretAccessKey: randomBytes(30).toString('base64'),
      sessionToken: randomBytes(48).toString('base64'),
      arn,
    };
    this.model.addAccessKey(creds);
    return creds;
  }

  /**
   * The identity that signed `req`: the Authorization header's signature re-computed with the
   * secret the sandbox holds for its access key (SigV4, "Create a signed request"). Presigned
   * URLs and unsigned requests are not AWS service calls here (the Kubernetes API checks its own
   * tokens).
   */
  async verify(req: SandboxRequest): Promise<CheckedSignature> {
    const auth = parseAuthorization(typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined);
    if (!auth) return { refusal: 'BadSignature', message: 'Authorization header requires a SigV4 signature (AWS4-HMAC-SHA256 Credential=…, SignedHeaders=…, Signature=…).' };
    const key = this.model.accessKey(auth.accessKeyId);
    const identity = this.identities.get(auth.accessKeyId);
    if (!key || !identity) return { refusal: 'UnknownKey', message: 'The security token included in the request is invalid.' };
    const amzDate = String(req.headers['x-amz-date'] ?? '');
    const at = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
    if (!at) return { refusal: 'BadSignature', message: 'X-Amz-Date is missing or malformed.' };
    const headers: Record<string, string> = {};
    for (const h of auth.signedHeaders) {
      const v = req.headers[h];
      if (v !== undefined) headers[h] = Array.isArray(v) ? v.join(',') : String(v);
    }
    const query: Record<string, string | string[]> = {};
    for (const k of new Set(req.query.keys())) {
      const all = req.query.getAll(k);
      query[k] = all.length === 1 ? all[0]! : all;
    }
    const signer = new SignatureV4({
      credentials: { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey, ...(key.sessionToken ? { sessionToken: key.sessionToken } : {}) },
      region: auth.region,
      service: auth.service,
      sha256: NodeSha256,
      // The path as sent (percent-encoded); every service but S3 encodes it once more for the
      // canonical request (SigV4, "Create a canonical request": "each path segment must be URI-encoded twice … except for Amazon S3").
      uriEscapePath: auth.service !== 's3',
      // Only the headers the client listed are signed: botocore signs x-amz-content-sha256 for S3
      // only, so the signer must not add it on its own (it reads the header when it was sent).
      applyChecksum: false,
    });
    const request = new HttpRequest({ method: req.method, protocol: 'https:', hostname: String(req.headers.host ?? ''), path: req.rawPath, query, headers, body: req.body });
    const signed = await signer.sign(request, { signingDate: new Date(Date.UTC(+at[1]!, +at[2]! - 1, +at[3]!, +at[4]!, +at[5]!, +at[6]!)), signableHeaders: new Set(auth.signedHeaders) });
    const expected = /Signature=([0-9a-f]+)/.exec(String(signed.headers.authorization ?? signed.headers.Authorization ?? ''))?.[1];
    if (expected !== auth.signature) {
      return { refusal: 'BadSignature', message: 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method.' };
    }
    return { identity };
  }

  /** Whether `identity` may make the call; the first request IAM refuses decides. */
  async authorize(identity: Identity, call: CallSummary): Promise<Decision> {
    const requests = authorizationRequests(call, this.model);
    for (const r of requests) {
      const d = await this.decide(identity, r, call);
      if (!d.allowed) return d;
    }
    return { allowed: true };
  }

  private async contextKeys(r: AuthorizationRequest): Promise<string[]> {
    const [service, action] = r.action.split(':') as [string, string];
    // The keys depend on the action and the resource's type, not on the resource itself: one
    // lookup per type (`…:access-entry/…`, `…:cluster/…`) instead of one per entry.
    const k = `${r.action} ${r.resource.replace(/^((?:[^:]*:){5}[^/:]*).*$/, '$1')}`;
    let keys = this.allowedKeys.get(k);
    if (!keys) this.allowedKeys.set(k, (keys = allowedContextKeysForRequest(service, action, r.resource, false, undefined)));
    return keys;
  }

  private async decide(identity: Identity, r: AuthorizationRequest, call: CallSummary): Promise<Decision> {
    const record = (allowed: boolean) => {
      const key = `${identity.principalArn} ${r.action}`;
      const d = this.decisions.get(key) ?? { allowed: 0, denied: 0 };
      if (allowed) d.allowed++;
      else d.denied++;
      this.decisions.set(key, d);
    };
    if (!identity.policies) {
      record(true);
      return { allowed: true };
    }
    const result = await this.evaluate(identity, identity.policies, r, call);
    const allowed = result === 'Allowed';
    record(allowed);
    this.journal?.push({ identity, request: r, call, allowed });
    if (allowed) return { allowed: true };
    // "User: <arn> is not authorized to perform: <action> on resource: <arn> because no
    // identity-based policy allows the <action> action" / "… with an explicit deny in an
    // identity-based policy" (IAM User Guide, "Access denied error messages").
    const why = result === 'ExplicitlyDenied' ? 'with an explicit deny in an identity-based policy' : `because no identity-based policy allows the ${r.action} action`;
    return { allowed: false, action: r.action, resource: r.resource, message: `User: ${identity.arn} is not authorized to perform: ${r.action} on resource: ${r.resource} ${why}` };
  }

  /**
   * The request context the service sets for `r`, as IAM sees it: the keys the SAR lists for the
   * action and resource (the rest of `r.context` is dropped), plus the global keys every request
   * over HTTPS carries. Give SimulatePrincipalPolicy this context to ask what the enforcer decides.
   */
  async requestContext(identity: Identity, r: AuthorizationRequest, call: Pick<CallSummary, 'region'>): Promise<Record<string, string | string[]>> {
    const allowedKeys = new Set((await this.contextKeys(r)).map((k) => k.toLowerCase()));
    const isAllowed = (key: string) => {
      const lower = key.toLowerCase();
      if (allowedKeys.has(lower)) return true;
      const slash = lower.indexOf('/');
      return slash > 0 && [...allowedKeys].some((a) => a.startsWith(`${lower.slice(0, slash)}/`));
    };
    const context: Record<string, string | string[]> = {
      'aws:PrincipalArn': identity.principalArn,
      'aws:PrincipalAccount': this.app.accountId,
      // IAM User Guide, "AWS global condition context keys", aws:PrincipalType: AssumedRole for a role session, User for an IAM user.
      'aws:PrincipalType': identity.arn.includes(':user/') ? 'User' : 'AssumedRole',
      'aws:userid': identity.arn,
      'aws:CurrentTime': new Date().toISOString(),
      'aws:EpochTime': String(Math.floor(Date.now() / 1000)),
      'aws:SecureTransport': 'true',
      'aws:RequestedRegion': call.region,
    };
    for (const [k, v] of Object.entries(r.context)) if (isAllowed(k)) context[k] = v;
    return context;
  }

  /**
   * IAM's answer for one request of `identity` under `policies` (its own, or a variant: the
   * mutation test removes one statement at a time), in the context the service sets.
   */
  async evaluate(identity: Identity, policies: Array<{ name: string; policy: PolicyDocument }>, r: AuthorizationRequest, call: CallSummary): Promise<PolicyDecision> {
    const resourcePolicy = r.action.startsWith('s3:') ? this.app.resourcePolicies.get(r.resource.split('/')[0]!) : undefined;
    return this.evaluator.evaluate(policies, {
      principal: identity.arn,
      accountId: this.app.accountId,
      action: r.action,
      resource: r.resource,
      context: await this.requestContext(identity, r, call),
      ...(resourcePolicy ? { resourcePolicy } : {}),
    });
  }
}
