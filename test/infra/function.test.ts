// The house construct for functions (docs/architecture.md, "Conventions").
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ESBUILD_OPTIONS, HouseFunction, REPO_ROOT, cdkBundling, handlerEntry, repoEntry } from '#infra/constructs/function';

let stack: Stack;
let fn: HouseFunction;
beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
  const app = new App();
  app.node.setContext('aws:cdk:bundling-stacks', []);
  stack = new Stack(app, 'Test');
  fn = new HouseFunction(stack, 'Fn', {
    name: 'provisioner',
    description: 'test',
    timeout: Duration.seconds(30),
    environment: { EXTRA: 'yes' },
  });
});
afterAll(() => {
  vi.unstubAllEnvs();
});

describe('HouseFunction', () => {
  it('resolves handler entries from its own location, not the working directory', () => {
    expect(isAbsolute(handlerEntry('provisioner'))).toBe(true);
    expect(existsSync(handlerEntry('provisioner'))).toBe(true);
    expect(existsSync(handlerEntry('resync'))).toBe(true);
  });

  it('takes an explicit entry relative to the repository root, never outside it', () => {
    expect(repoEntry('functions/migration/tasks/plan.ts')).toBe(join(REPO_ROOT, 'functions/migration/tasks/plan.ts'));
    expect(() => repoEntry('../elsewhere/handler.ts')).toThrow(/inside the repository/);
    expect(() => repoEntry('/abs/handler.ts')).toThrow(/inside the repository/);
    const explicit = new HouseFunction(stack, 'Explicit', {
      name: 'migration plan',
      entry: 'functions/migration/tasks/plan.ts',
      description: 'test',
      timeout: Duration.seconds(30),
    });
    expect(explicit.function.node.id).toBe('Function');
    expect(() => new HouseFunction(stack, 'Missing', { name: 'x', entry: 'functions/migration/tasks/nope.ts', description: 'x', timeout: Duration.seconds(1) })).toThrow();
  });

  it('merges the caller environment with the house variables', () => {
    fn.addEnvironment('LATER', 'too');
    const [lambda] = Object.values(Template.fromStack(stack).findResources('AWS::Lambda::Function'));
    expect(lambda?.Properties.Environment.Variables).toEqual({
      EXTRA: 'yes',
      LATER: 'too',
      POWERTOOLS_SERVICE_NAME: 'eks-access-pilot',
      POWERTOOLS_METRICS_NAMESPACE: 'EksAccessPilot',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('refuses to overwrite a variable that is already set', () => {
    expect(() => fn.addEnvironment('EXTRA', 'no')).toThrow(/EXTRA is already set/);
    expect(() => fn.addEnvironment('POWERTOOLS_SERVICE_NAME', 'other')).toThrow(/already set/);
    expect(
      () => new HouseFunction(stack, 'Clash', { name: 'resync', description: 'x', timeout: Duration.seconds(1), environment: { NODE_OPTIONS: '' } }),
    ).toThrow(/NODE_OPTIONS is set by the house construct/);
  });

  it('bundles for CDK with the same esbuild options that npm run build uses', () => {
    const b = cdkBundling();
    expect(b?.target).toBe(ESBUILD_OPTIONS.target);
    expect(b?.banner).toBe(ESBUILD_OPTIONS.banner.js);
    expect(b?.banner).toContain('createRequire');
    expect(b?.minify && b.keepNames && b.sourceMap).toBe(true);
  });
});
