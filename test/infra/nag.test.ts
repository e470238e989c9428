// Policy as code (docs/architecture.md, "Conventions"): cdk-nag's AwsSolutions and Serverless packs run on the
// whole app; synth fails on any finding that is not acknowledged with a reason.
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildApp, shippedConfig } from './synth.ts';

beforeAll(() => {
  vi.stubEnv('CDK_VALIDATION', 'false');
});
afterAll(() => {
  vi.unstubAllEnvs();
});

describe('cdk-nag on the app', () => {
  it('passes for both stacks of the shipped configuration', () => {
    const built = buildApp(shippedConfig(), { nag: true });
    expect(built.forwarder).toBeDefined();
  });

  it('fails synth on an unacknowledged finding (the checks are really on)', () => {
    const withPlainQueue = () =>
      buildApp(shippedConfig(), {
        nag: true,
        extend: ({ main }) => new sqs.Queue(main, 'PlainQueue', { encryption: sqs.QueueEncryption.UNENCRYPTED }),
      });
    expect(withPlainQueue).toThrow(/AwsSolutions-SQS4|AwsSolutions-SQS2/);
  });
});
