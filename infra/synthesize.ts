/**
 * The app's CloudFormation templates for a configuration, synthesized in memory without bundling
 * the functions or running the policy-as-code checks (those belong to `cdk synth` and the infra
 * tests). The sandbox deploys from them, and `doctor` compares a real deployment with them: one
 * source of truth for what "deployed" means.
 */
import { App } from 'aws-cdk-lib';
import type { ConfigInput } from '#kernel/config';
import { CONTEXT_KEY, loadConfig } from './config.ts';
import { defineStacks } from './stacks/index.ts';

export interface TemplateResource {
  Type: string;
  Properties?: Record<string, unknown>;
}

export interface Template {
  Resources: Record<string, TemplateResource>;
  Outputs?: Record<string, { Value: unknown; Description?: string; Export?: unknown }>;
}

export interface SynthesizedStack {
  name: string;
  /** The stack's region (every stack of the app names one). */
  region: string;
  template: Template;
  /** Stack-level tags CloudFormation applies (`Tags.of(stack)`). */
  tags: Record<string, string>;
}

/**
 * Synthesizes the app for `config` (raw, as in cdk.json). Throws ConfigError naming the field when
 * the configuration is invalid (the same check `cdk synth` runs).
 */
export function synthesizeStacks(config: ConfigInput): SynthesizedStack[] {
  const previous = process.env.CDK_VALIDATION;
  process.env.CDK_VALIDATION = 'false';
  try {
    const app = new App({ context: { [CONTEXT_KEY]: config } });
    // No stack is bundled: esbuild would run for every function, and only the templates matter.
    app.node.setContext('aws:cdk:bundling-stacks', []);
    defineStacks(app, loadConfig(app));
    return app.synth().stacks.map((s) => ({ name: s.stackName, region: s.environment.region, template: s.template as Template, tags: { ...s.tags } }));
  } finally {
    if (previous === undefined) delete process.env.CDK_VALIDATION;
    else process.env.CDK_VALIDATION = previous;
  }
}
