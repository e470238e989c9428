/**
 * IAM's policy evaluation, once, for the two places that need it: the enforcer, which decides every
 * signed call (./enforcer.ts), and iam:SimulatePrincipalPolicy (./simulate.ts), which answers the
 * same question for a role and a request someone describes. Both give the same policies and the
 * same request to the same engine — @cloud-copilot/iam-simulate (identity and resource policies,
 * every condition operator, explicit deny before allow: IAM User Guide, "Policy evaluation
 * logic"), AGPL-3.0, a devDependency of the sandbox and tests only — so a simulation and a real
 * call cannot disagree.
 */
import { getDenialReasons, getGrantReasons, runSimulation, runUnsafeSimulation, type RequestAnalysis, type Simulation } from '@cloud-copilot/iam-simulate';
import type { PolicyDocument } from './deployed.ts';

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

export interface NamedPolicy {
  name: string;
  policy: PolicyDocument;
}

/** One request as IAM evaluates it. */
export interface PolicyRequest {
  /** Who asks (a role session's or a user's ARN). */
  principal: string;
  accountId: string;
  action: string;
  resource: string;
  /** The request context: every key and value IAM's conditions see. */
  context: Record<string, string | string[]>;
  /** The resource's own policy (S3 bucket policies), evaluated with the identity policies. */
  resourcePolicy?: PolicyDocument;
}

/** A statement that decided a request: its policy and its 1-based index in the policy. */
export interface MatchedStatement {
  policy: string;
  statementIndex: number;
}

export interface Explanation {
  decision: Decision;
  /** The allowing statements, or the explicitly denying ones (an implicit deny has none). */
  matched: MatchedStatement[];
  /** Condition keys of statements that apply to the action and resource, absent from the context. */
  missingContextKeys: string[];
}

/** The policies or the request are not valid IAM: the engine's own findings. */
export class PolicyEvaluationError extends Error {
  constructor(
    message: string,
    readonly errors: unknown,
    readonly kind: 'policy' | 'request',
  ) {
    super(message);
    this.name = 'PolicyEvaluationError';
  }
}

/** The statements a condition-bearing statement exposes (iam-simulate's StatementAnalysis, as far as used here). */
interface AnalysedStatement {
  actionMatch: boolean;
  resourceMatch: boolean;
  statement: { conditions(): Array<{ conditionKey(): string }> };
}

export class PolicyEvaluator {
  /** (policies, action) pairs whose first request went through the validating simulation. */
  private readonly validated = new WeakMap<object, Set<string>>();

  /**
   * IAM's answer for `request` under `policies`. The first request of each (policies, action) pair
   * is validated — policy grammar, the action, the resource ARN's format for the action, the context
   * keys' types — which costs ~3.5 ms; the same policies and action then skip it (~0.5 ms), so a
   * 10,000-call resync is not throttled by the sandbox itself. The policies never change during a
   * run; a mutated copy is a new object. With `explain`, every request is validated and the answer
   * says which statements decided it and which condition keys it lacked. `unvalidated` skips the
   * validation of the request (not of the caller's trust in the policies) and answers the decision only.
   * @throws PolicyEvaluationError when the policies or the request are not valid.
   */
  async evaluate(policies: NamedPolicy[], request: PolicyRequest, opts?: { unvalidated?: boolean }): Promise<Decision>;
  async evaluate(policies: NamedPolicy[], request: PolicyRequest, opts: { explain: true }): Promise<Explanation>;
  async evaluate(policies: NamedPolicy[], request: PolicyRequest, opts: { explain?: boolean; unvalidated?: boolean } = {}): Promise<Decision | Explanation> {
    const simulation: Simulation = {
      request: { principal: request.principal, action: request.action, resource: { resource: request.resource, accountId: request.accountId }, contextVariables: request.context },
      identityPolicies: policies.map((p) => ({ name: p.name, policy: p.policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    };
    const seen = this.validated.get(policies) ?? new Set<string>();
    this.validated.set(policies, seen);
    // (Requests with a resource policy always take the validating path: the unvalidated one does
    // not evaluate resource policies in iam-simulate 0.1.173.)
    // `unvalidated`: a request the validation refuses (a resource of another type than the action
    // takes) that must still be decided by statement matching alone, as IAM's policy simulator does.
    if (!opts.explain && (opts.unvalidated || (seen.has(request.action) && !simulation.resourcePolicy))) return runUnsafeSimulation(simulation, {}) as Decision;
    const result = await runSimulation(simulation, {});
    if (result.resultType === 'error') {
      const e = result.errors;
      const kind = e.identityPolicyErrors || e.resourcePolicyErrors ? 'policy' : 'request';
      throw new PolicyEvaluationError(`the sandbox could not evaluate ${request.action} on ${request.resource} for ${request.principal}: ${JSON.stringify(e)}`, e, kind);
    }
    seen.add(request.action);
    const decision = result.overallResult as Decision;
    if (!opts.explain) return decision;
    const analyses = result.resultType === 'single' ? [result.result.analysis] : result.results.map((r) => r.analysis);
    return { decision, matched: matchedStatements(analyses, decision), missingContextKeys: missingKeys(analyses, request.context) };
  }
}

function matchedStatements(analyses: RequestAnalysis[], decision: Decision): MatchedStatement[] {
  const out = new Map<string, MatchedStatement>();
  for (const a of analyses) {
    const reasons =
      decision === 'Allowed'
        ? getGrantReasons(a).flatMap((g) => (g.policyType === 'identity' ? [{ policy: g.policyIdentifier, statementIndex: g.statementIndex }] : []))
        : getDenialReasons(a).flatMap((d) => (d.denialType === 'Explicit' && d.policyType === 'identity' && d.policyIdentifier ? [{ policy: d.policyIdentifier, statementIndex: d.statementIndex }] : []));
    for (const m of reasons) out.set(`${m.policy}#${m.statementIndex}`, m);
  }
  return [...out.values()];
}

function missingKeys(analyses: RequestAnalysis[], context: Record<string, unknown>): string[] {
  const supplied = new Set(Object.keys(context).map((k) => k.toLowerCase()));
  const missing = new Map<string, string>();
  for (const a of analyses) {
    const identity = a.identityAnalysis;
    const statements = [...(identity?.allowStatements ?? []), ...(identity?.denyStatements ?? []), ...(identity?.unmatchedStatements ?? [])] as unknown as AnalysedStatement[];
    for (const s of statements.filter((x) => x.actionMatch && x.resourceMatch)) {
      for (const c of s.statement.conditions()) {
        const key = c.conditionKey();
        if (!supplied.has(key.toLowerCase())) missing.set(key.toLowerCase(), key);
      }
    }
  }
  return [...missing.values()];
}
