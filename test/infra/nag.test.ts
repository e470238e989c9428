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

  it('passes with Identity Center configured (its create statement and the read role AssumeRole)', () => {
    const identityCenter = {
      instanceArn: 'arn:aws:sso:::instance/ssoins-0123456789abcdef',
      region: 'eu-west-1',
      readRoleArn: 'arn:aws:iam::999988887777:role/eks-access-pilot-identity-center-read',
      permissionSets: [{ name: 'PlatformReadOnly', tags: { 'eks-access': 'view' } }],
    };
    const built = buildApp({ ...shippedConfig(), identityCenter }, { nag: true });
    expect(built.main.toJSON()).toBeDefined();
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
