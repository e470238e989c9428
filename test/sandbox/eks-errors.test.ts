/**
 * Contract: each EKS operation the sandbox serves answers only with errors EKS's model lists for
 * that operation (or the few exceptions below, each with its source).
 *
 * The lists come from the SDK's model, not from this file: the `@throws` of each generated
 * command (`@aws-sdk/client-eks/dist-types/commands/<Operation>Command.d.ts`), checked against
 * botocore's `eks/2017-11-01/service-2.json` (the aws-cli's model) when Python has it.
 *
 * What the sandbox can answer is read from its code, not from a handful of scenarios: the
 * `eksErrors` constructors reachable from each operation of sandbox/model/eks.ts (its methods and
 * helpers, followed through the call graph), and the errors sandbox/server/services/eks.ts adds.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { EksModel } from '#sandbox/model/eks';
import { eksErrors } from '#sandbox/model/errors';
import type { SandboxRequest } from '#sandbox/server/router';
import { EKS_OPERATIONS, eksService, requestErrorCode } from '#sandbox/server/services/eks';

const MODEL_FILE = join(import.meta.dirname, '../../sandbox/model/eks.ts');
const SDK_ROOT = join(dirname(createRequire(import.meta.url).resolve('@aws-sdk/client-eks')), '..');

/** The errors the SDK's model lists for an operation (the generated command's `@throws`). */
function declaredErrors(operation: string): string[] {
  const dts = readFileSync(join(SDK_ROOT, 'dist-types/commands', `${operation}Command.d.ts`), 'utf8');
  return [...new Set([...dts.matchAll(/@throws \{@link (\w+)\}/g)].map((m) => m[1]!))].filter((n) => n !== 'EKSServiceException').sort();
}

/**
 * InvalidParameterException is what EKS answers for a request parameter it cannot take, on any
 * operation, listed or not: DescribeCluster, whose model omits it, answered "The parameter name
 * should not be greater than 100 characters." (radius-project/samples#1702), and a maxResults out
 * of range "maxResults needs to be 1" (turbot/steampipe-plugin-aws#1100). The model marks those
 * answers with `parameterError`, the service its unreadable requests with `requestErrorCode`.
 */
const PARAMETER_ERROR = 'InvalidParameterException';

/** Errors EKS was seen answering for a rule of an operation whose model does not list them. */
const OBSERVED_UNLISTED: Record<string, Record<string, string>> = {
  ListAssociatedAccessPolicies: {
    InvalidParameterException:
      'aws-controllers-k8s/community#2144: on an EC2_LINUX entry, "InvalidParameterException: This operation can only be performed on Access Entries with a type of \\"STANDARD\\"." (HTTP 400)',
  },
};

/** The API reference's Common Errors apply to every action; the service's throttling knob answers with one of them. */
const COMMON_ERRORS = new Set(['ThrottlingException']);

interface Reachable {
  /** `eksErrors` constructors (their exception names). */
  errors: Set<string>;
  /** Whether `parameterError` is reachable. */
  parameter: boolean;
  /** Whether a plain `new Error(…)` is (the service answers ServerException for those). */
  internal: boolean;
}

/**
 * Per operation (`this.call('<Operation>', …)` in an EksModel method), what it can throw; under
 * `parameterError`, what that helper itself throws.
 */
function modelErrors(): Map<string, Reachable> {
  const source = ts.createSourceFile(MODEL_FILE, readFileSync(MODEL_FILE, 'utf8'), ts.ScriptTarget.Latest, true);
  const bodies = new Map<string, ts.Node>();
  for (const stmt of source.statements) {
    if (ts.isFunctionDeclaration(stmt) && stmt.name && stmt.body) bodies.set(`fn:${stmt.name.text}`, stmt.body);
    if (ts.isClassDeclaration(stmt) && stmt.name?.text === 'EksModel') {
      for (const m of stmt.members) if (ts.isMethodDeclaration(m) && m.body && ts.isIdentifier(m.name)) bodies.set(`m:${m.name.text}`, m.body);
    }
  }
  const errorName = new Map(Object.entries(eksErrors).map(([ctor, make]) => [ctor, make('probe').name]));

  /** What a body refers to directly: error constructors, helpers and methods it may call, operation name. */
  function scan(body: ts.Node) {
    const out = { errors: new Set<string>(), edges: new Set<string>(), parameter: false, internal: false, operation: undefined as string | undefined };
    const visit = (n: ts.Node): void => {
      if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression)) {
        if (n.expression.text === 'eksErrors') out.errors.add(errorName.get(n.name.text) ?? `eksErrors.${n.name.text}`);
      }
      if (ts.isPropertyAccessExpression(n) && n.expression.kind === ts.SyntaxKind.ThisKeyword && bodies.has(`m:${n.name.text}`)) {
        out.edges.add(`m:${n.name.text}`);
      }
      if (ts.isIdentifier(n) && !(ts.isPropertyAccessExpression(n.parent) && n.parent.name === n)) {
        if (n.text === 'parameterError') out.parameter = true;
        else if (bodies.has(`fn:${n.text}`)) out.edges.add(`fn:${n.text}`);
      }
      if (ts.isNewExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === 'Error') out.internal = true;
      if (
        ts.isCallExpression(n) &&
        ts.isPropertyAccessExpression(n.expression) &&
        n.expression.expression.kind === ts.SyntaxKind.ThisKeyword &&
        n.expression.name.text === 'call' &&
        n.arguments[0] &&
        ts.isStringLiteral(n.arguments[0])
      ) {
        out.operation = n.arguments[0].text;
      }
      ts.forEachChild(n, visit);
    };
    visit(body);
    return out;
  }

  const scanned = new Map([...bodies].map(([k, body]) => [k, scan(body)]));
  const result = new Map<string, Reachable>();
  for (const [key, direct] of scanned) {
    if (!key.startsWith('m:') || !direct.operation) continue;
    const reach: Reachable = { errors: new Set(), parameter: false, internal: false };
    const seen = new Set<string>();
    const walk = (k: string) => {
      if (seen.has(k)) return;
      seen.add(k);
      const s = scanned.get(k)!;
      s.errors.forEach((e) => reach.errors.add(e));
      reach.parameter ||= s.parameter;
      reach.internal ||= s.internal;
      s.edges.forEach(walk);
    };
    walk(key);
    result.set(direct.operation, reach);
  }
  const helper = scanned.get('fn:parameterError');
  result.set('parameterError', { errors: helper?.errors ?? new Set(), parameter: false, internal: helper?.internal ?? true });
  return result;
}

/** botocore's per-operation error lists, when the aws-cli's Python package is on this machine. */
function botocoreErrors(): Record<string, string[]> | undefined {
  const script = [
    'import botocore, gzip, json, os',
    "p = os.path.join(os.path.dirname(botocore.__file__), 'data', 'eks', '2017-11-01', 'service-2.json.gz')",
    'm = json.load(gzip.open(p))',
    "print(json.dumps({k: sorted(e['shape'] for e in v.get('errors', [])) for k, v in m['operations'].items()}))",
  ].join('\n');
  const run = spawnSync('python3', ['-c', script], { encoding: 'utf8' });
  return run.status === 0 ? (JSON.parse(run.stdout) as Record<string, string[]>) : undefined;
}

const MODEL = modelErrors();
const BOTOCORE = botocoreErrors();
const SERVICE = eksService(new EksModel(), 'eu-west-1');
const REQUEST: SandboxRequest = { method: 'GET', rawPath: '/', query: new URLSearchParams(), headers: {}, body: Buffer.alloc(0), requestId: 'r' };

describe('EKS errors per operation (sandbox ⟷ the SDK model)', () => {
  it('reads an error list for every served operation, and finds each one in the model', () => {
    expect([...MODEL.keys()].filter((k) => k !== 'parameterError').sort()).toEqual([...EKS_OPERATIONS].sort());
    expect(MODEL.get('parameterError')).toEqual({ errors: new Set([PARAMETER_ERROR]), parameter: false, internal: false });
    for (const op of EKS_OPERATIONS) expect(declaredErrors(op).length, op).toBeGreaterThan(0);
    // The analysis sees the paging helper's parameter errors (one operation is enough to know).
    expect(MODEL.get('ListAccessPolicies')!.parameter).toBe(true);
  });

  it.skipIf(!BOTOCORE)("reads the same lists as botocore's service-2.json", () => {
    for (const op of EKS_OPERATIONS) expect(declaredErrors(op), op).toEqual(BOTOCORE![op]);
  });

  it.each([...EKS_OPERATIONS])('%s: the model answers only errors its operation lists', (op) => {
    const declared = new Set(declaredErrors(op));
    const reach = MODEL.get(op)!;
    const observed = OBSERVED_UNLISTED[op] ?? {};
    const produced = [...reach.errors, ...(reach.internal ? ['ServerException'] : [])];
    const unlisted = produced.filter((e) => !declared.has(e) && !(e in observed));

    expect(unlisted).toEqual([]);
  });

  it.each([...EKS_OPERATIONS])('%s: the service answers only errors its operation lists, parameter errors and common errors', (op) => {
    const declared = new Set(declaredErrors(op));
    const unreadable = requestErrorCode(op);
    const throttled = SERVICE.throttled(REQUEST, { operation: op, input: { clusterName: 'prod' }, serve: () => ({ status: 200, headers: {}, body: '' }) });

    expect(declared.has(unreadable) || unreadable === PARAMETER_ERROR, unreadable).toBe(true);
    expect(COMMON_ERRORS).toContain(throttled.headers['x-amzn-errortype']);
  });
});
