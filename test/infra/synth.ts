/**
 * Builds the real CDK app for infra tests: the configuration from cdk.json (so the tests pin
 * what ships) with per-test overrides, bundling skipped (synth in milliseconds instead of
 * seconds), cdk-nag only where a test asks for it.
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { ConfigInput } from '#kernel/config';
import { CONTEXT_KEY, loadConfig } from '#infra/config';
import { addNagChecks, defineStacks } from '#infra/stacks/index';

/** The `eksAccessPilot` object of cdk.json. */
export function shippedConfig(): ConfigInput {
  const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as {
    context: Record<string, ConfigInput>;
  };
  const config = cdkJson.context[CONTEXT_KEY];
  if (!config) throw new Error(`cdk.json has no ${CONTEXT_KEY} context`);
  return structuredClone(config);
}

export interface BuiltApp {
  app: App;
  main: Template;
  forwarder: Template | undefined;
  /** The regional migration stacks' templates, by region. */
  migrations: Record<string, Template>;
  stacks: ReturnType<typeof defineStacks>;
}

/** Builds the app from `context` (raw, unvalidated: exactly what cdk.json would hold). */
export function buildApp(
  context: unknown,
  options: { nag?: boolean; extend?: (stacks: ReturnType<typeof defineStacks>) => void } = {},
): BuiltApp {
  const app = new App({ context: { [CONTEXT_KEY]: context } });
  app.node.setContext('aws:cdk:bundling-stacks', []);
  const stacks = defineStacks(app, loadConfig(app));
  options.extend?.(stacks);
  if (options.nag) addNagChecks(app);
  return {
    app,
    stacks,
    main: Template.fromStack(stacks.main),
    forwarder: stacks.forwarder ? Template.fromStack(stacks.forwarder) : undefined,
    migrations: Object.fromEntries(stacks.migrations.map((s) => [s.region, Template.fromStack(s)])),
  };
}

type Resources = ReturnType<Template['findResources']>;
/** A resource as CDK's assertions return it (untyped template JSON). */
export type CfnResource = Resources[string];

/** The properties of the only resource of `type` whose logical id contains `idPart`. */
export function properties(template: Template, type: string, idPart: string): CfnResource {
  const matches = Object.entries(template.findResources(type)).filter(([id]) => id.includes(idPart));
  if (matches.length !== 1) {
    throw new Error(`expected one ${type} with "${idPart}" in its id, found ${matches.map(([id]) => id).join(', ') || 'none'}`);
  }
  return matches[0]![1].Properties;
}

/** Every IAM policy statement attached to the role whose logical id contains `roleIdPart`. */
export function roleStatements(template: Template, roleIdPart: string): CfnResource[] {
  return Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) => JSON.stringify(p.Properties.Roles).includes(roleIdPart))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as CfnResource[]);
}

/** The statement with `sid` among the role's policies. */
export function statement(template: Template, roleIdPart: string, sid: string): CfnResource {
  const found = roleStatements(template, roleIdPart).find((s) => s.Sid === sid);
  if (!found) throw new Error(`no statement ${sid} on a role matching ${roleIdPart}`);
  return found;
}
