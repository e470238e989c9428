/**
 * CDK entry point (cdk.json: `npx tsx infra/app.ts`). A bad `eksAccessPilot` context stops
 * synth here with the field named, as a plain message rather than a stack trace.
 */
import { App } from 'aws-cdk-lib';
import { ConfigError, type Config } from '#kernel/config';
import { loadConfig } from './config.ts';
import { addNagChecks, defineStacks } from './stacks/index.ts';

const app = new App();
let config: Config | undefined;
try {
  config = loadConfig(app);
} catch (e) {
  if (!(e instanceof ConfigError)) throw e;
  console.error(e.message);
  process.exitCode = 1;
}
if (config) {
  defineStacks(app, config);
  addNagChecks(app);
  app.synth();
}
