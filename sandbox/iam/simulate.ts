/**
 * iam:SimulatePrincipalPolicy in the sandbox (IAM API reference, SimulatePrincipalPolicy): the
 * identity policies of a role or user, evaluated for each action on each resource with the context
 * entries the caller supplies — by the same evaluator and, for the deployed app's roles, the same
 * policy documents the enforcer decides real calls with (./evaluate.ts, ./deployed.ts). A principal
 * that exists in IAM but not in the app (a seeded team role, a user) has no policies the sandbox
 * knows: every request is an implicit deny.
 */
import type { ContextEntry, EvaluationResult, SimulatePolicyResponse, SimulatePrincipalPolicyRequest, Statement } from '@aws-sdk/client-iam';
import { InvalidInputException, NoSuchEntityException, PolicyEvaluationException } from '@aws-sdk/client-iam';
import type { IamModel } from '#sandbox/model/iam';
import { decodeToken, encodeToken } from '#sandbox/model/errors';
import type { DeployedApp, PolicyDocument } from './deployed.ts';
import { PolicyEvaluationError, type Decision, type Explanation, type PolicyEvaluator } from './evaluate.ts';

const meta = () => ({ $metadata: {} });
const invalid = (message: string) => new InvalidInputException({ message, ...meta() });

const PRINCIPAL_ARN = /^arn:(aws[a-z-]*):iam::(\d{12}):(role|user|group)\/(?:.*\/)?([^/]+)$/;
// ActionNameType: a service prefix, a colon, an action (IAM API reference, SimulatePrincipalPolicy).
const ACTION = /^[a-z0-9-]+:[A-Za-z0-9*?]+$/;

/** PolicyEvaluationDecisionType (IAM API reference, EvaluationResult). */
const DECISIONS: Record<Decision, 'allowed' | 'explicitDeny' | 'implicitDeny'> = { Allowed: 'allowed', ExplicitlyDenied: 'explicitDeny', ImplicitlyDenied: 'implicitDeny' };

interface SourcePolicy {
  name: string;
  policy: PolicyDocument;
  /** PolicySourceType (IAM API reference, Statement): inline policies are the role's or user's; customer managed ones `user-managed`. */
  type: 'role' | 'user' | 'user-managed' | 'none';
}

export class PrincipalPolicySimulator {
  constructor(
    private readonly iam: IamModel,
    private readonly app: DeployedApp | undefined,
    private readonly evaluator: PolicyEvaluator,
  ) {}

  /**
   * @throws NoSuchEntityException for a principal IAM does not have; InvalidInputException for a
   *   malformed ARN, action or context entry, or a page size outside 1–1,000;
   *   PolicyEvaluationException for a PolicyInputList document that is not a valid policy.
   */
  async simulate(input: SimulatePrincipalPolicyRequest): Promise<SimulatePolicyResponse> {
    const source = this.sourcePolicies(input.PolicySourceArn ?? '');
    (input.PolicyInputList ?? []).forEach((text, i) => source.push({ name: `PolicyInputList.${i + 1}`, policy: parsePolicy(text), type: 'none' }));
    if (input.PermissionsBoundaryPolicyInputList?.length || input.ResourcePolicy !== undefined) {
      throw invalid('the sandbox does not model permissions boundaries or resource policies in simulations: leave PermissionsBoundaryPolicyInputList and ResourcePolicy out');
    }
    if (input.CallerArn !== undefined && !/^arn:aws[a-z-]*:iam::\d{12}:user\//.test(input.CallerArn)) {
      throw invalid(`CallerArn ${input.CallerArn} is not valid: it must be the ARN of an IAM user.`);
    }
    const actions = input.ActionNames ?? [];
    if (actions.length === 0) throw invalid('ActionNames must list at least one action.');
    for (const a of actions) if (!ACTION.test(a)) throw invalid(`Action ${a} is not valid: an action is a service prefix and an operation, such as iam:CreateUser.`);
    const resources = input.ResourceArns?.length ? input.ResourceArns : ['*'];
    const context = contextOf(input.ContextEntries ?? []);
    const max = input.MaxItems ?? 100;
    if (!Number.isInteger(max) || max < 1 || max > 1000) throw invalid(`MaxItems ${max} is not valid: it must be between 1 and 1000.`);
    const start = input.Marker === undefined ? 0 : decodeToken(input.Marker);
    if (start === undefined) throw invalid('Invalid Marker.');

    const pairs = actions.flatMap((action) => resources.map((resource) => ({ action, resource })));
    const principal = input.CallerArn ?? input.PolicySourceArn ?? '';
    const accountId = PRINCIPAL_ARN.exec(input.PolicySourceArn ?? '')?.[2] ?? this.iam.accountId;
    const policies = source.map((p) => ({ name: p.name, policy: p.policy }));
    const results: EvaluationResult[] = [];
    for (const { action, resource } of pairs.slice(start, start + max)) {
      let explained: Explanation;
      try {
        explained = await this.evaluator.evaluate(policies, { principal, accountId, action, resource, context }, { explain: true });
      } catch (e) {
        if (!(e instanceof PolicyEvaluationError)) throw e;
        if (e.kind === 'policy') throw new PolicyEvaluationException({ message: e.message, ...meta() });
        // The engine validates the request against the SAR (an ARN of another resource type than
        // the action takes, an action the SAR does not list); IAM's simulator matches statements
        // whatever the ARN (inferred from the API reference: "You can simulate resources that don't
        // exist"). Such a request is decided by statement matching alone, without the detail.
        let decision: Decision;
        try {
          decision = await this.evaluator.evaluate(policies, { principal, accountId, action, resource, context }, { unvalidated: true });
        } catch {
          throw invalid(e.message);
        }
        explained = { decision, matched: [], missingContextKeys: [] };
      }
      results.push(evaluationResult(action, resource, explained, source));
    }
    const next = start + max < pairs.length ? encodeToken(start + max) : undefined;
    return { EvaluationResults: results, IsTruncated: next !== undefined, ...(next ? { Marker: next } : {}) };
  }

  /** The principal's identity policies; NoSuchEntity when IAM has no such role or user. */
  private sourcePolicies(arn: string): SourcePolicy[] {
    const m = PRINCIPAL_ARN.exec(arn);
    if (!m) throw invalid(`ARN ${arn} is not valid: PolicySourceArn must be the ARN of an IAM user, group or role.`);
    const [, , account, kind, name] = m as unknown as [string, string, string, string, string];
    // A role is found by name, whatever path the ARN writes (role names are unique in an account);
    // users by their exact ARN. Groups are not modelled. (Inferred: the API reference does not say
    // how IAM matches the ARN.)
    const exists = account === this.iam.accountId && (kind === 'role' ? this.iam.roleIdByName(name) !== undefined : kind === 'user' && this.iam.principalExists(arn));
    if (!exists) throw new NoSuchEntityException({ message: `The ${kind} with name ${name} cannot be found.`, ...meta() });
    if (kind !== 'role') return [];
    const role = this.app?.roles.get(name);
    return (role?.policies ?? []).map((p) => ({ name: p.name, policy: p.document, type: p.kind === 'managed' ? 'user-managed' : 'role' }));
  }
}

/**
 * ContextEntries as the request context: a `…List` type carries every value, the others their one
 * value (IAM API reference, ContextEntry, ContextKeyTypeEnum).
 */
function contextOf(entries: ContextEntry[]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const e of entries) {
    const name = e.ContextKeyName ?? '';
    const values = e.ContextKeyValues ?? [];
    if (!name) throw invalid('Every context entry needs a ContextKeyName.');
    if (!e.ContextKeyType) throw invalid(`Context entry ${name} needs a ContextKeyType.`);
    if (e.ContextKeyType.endsWith('List')) {
      out[name] = [...values];
    } else {
      if (values.length !== 1) throw invalid(`Context entry ${name} of type ${e.ContextKeyType} takes exactly one value, got ${values.length}.`);
      out[name] = values[0]!;
    }
  }
  return out;
}

function parsePolicy(text: string): PolicyDocument {
  try {
    return JSON.parse(text) as PolicyDocument;
  } catch (e) {
    throw new PolicyEvaluationException({ message: `A policy in PolicyInputList is not valid JSON: ${(e as Error).message}`, ...meta() });
  }
}

/**
 * One EvaluationResult (IAM API reference): for a specific resource, the detail (matched
 * statements, missing context values) sits in ResourceSpecificResults and the top-level
 * MissingContextValues is empty; for `*`, it sits at the top level.
 */
function evaluationResult(action: string, resource: string, e: Explanation, source: SourcePolicy[]): EvaluationResult {
  const matched = e.matched.flatMap((m): Statement[] => {
    const p = source.find((s) => s.name === m.policy);
    return p ? [{ SourcePolicyId: p.name, SourcePolicyType: p.type, ...positions(p.policy, m.statementIndex) }] : [];
  });
  const decision = DECISIONS[e.decision];
  if (resource === '*') return { EvalActionName: action, EvalResourceName: resource, EvalDecision: decision, MatchedStatements: matched, MissingContextValues: e.missingContextKeys };
  return {
    EvalActionName: action,
    EvalResourceName: resource,
    EvalDecision: decision,
    MatchedStatements: matched,
    MissingContextValues: [],
    ResourceSpecificResults: [{ EvalResourceName: resource, EvalResourceDecision: decision, MatchedStatements: matched, MissingContextValues: e.missingContextKeys }],
  };
}

/**
 * Where statement `index` (1-based) starts and ends in the policy document as the sandbox holds it:
 * its compact JSON text, one line (IAM API reference, Position: "the row and column of the
 * beginning of the Statement in an IAM policy"; the text IAM counts in is the stored document,
 * whose layout CloudFormation decides — inferred).
 */
function positions(policy: PolicyDocument, index: number): Pick<Statement, 'StartPosition' | 'EndPosition'> {
  const text = JSON.stringify(policy);
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  let from = 0;
  for (let i = 0; i < statements.length; i++) {
    const own = JSON.stringify(statements[i]);
    const at = text.indexOf(own, from);
    if (at < 0) break;
    if (i === index - 1) return { StartPosition: { Line: 1, Column: at + 1 }, EndPosition: { Line: 1, Column: at + own.length } };
    from = at + own.length;
  }
  return {};
}
