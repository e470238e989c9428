// A wrong `eksAccessPilot` context stops synth with the field named (docs/architecture.md, "Configuration" and "Safety invariants" 8).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '#kernel/config';
import { loadConfig } from '#infra/config';
import { buildApp, properties, shippedConfig } from './synth.ts';

const appWith = (context: unknown) => new App({ context: { eksAccessPilot: context } });

describe('loadConfig', () => {
  it('returns the parsed configuration with defaults applied', () => {
    const config = loadConfig(appWith(shippedConfig()));
    expect(config.homeRegion).toBe('eu-west-1');
    expect(config.levels.map((l) => l.name)).toEqual(['view', 'edit', 'admin', 'cluster-admin']);
  });

  it('names the bad field', () => {
    const bad = shippedConfig();
    bad.clusters[0]!.region = 'Ireland';
    expect(() => loadConfig(appWith(bad))).toThrow(ConfigError);
    expect(() => loadConfig(appWith(bad))).toThrow(/eksAccessPilot\.clusters\[0\]\.region: must be an AWS region/);
  });

  it('rejects a ceiling that is not a level', () => {
    expect(() => loadConfig(appWith({ ...shippedConfig(), ceiling: 'root' }))).toThrow(/eksAccessPilot\.ceiling: "root" is not one of the levels/);
  });

  it('says so when the context object is missing', () => {
    expect(() => loadConfig(new App())).toThrow(/eksAccessPilot/);
  });

  it('accepts the object as JSON, as `cdk synth -c eksAccessPilot=…` passes it', () => {
    expect(loadConfig(appWith(JSON.stringify(shippedConfig()))).ceiling).toBe('edit');
  });
});

describe('the CDK app entry point', () => {
  it('fails synth with the field named when the context is wrong', async () => {
    // arrange: the CLI hands context to the app in CDK_CONTEXT_JSON
    const bad = { ...shippedConfig(), resyncSchedule: 'every 5 minutes' };
    const outdir = mkdtempSync(join(tmpdir(), 'eap-synth-'));
    const repo = fileURLToPath(new URL('../../', import.meta.url));
    try {
      // act
      const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
      const run = promisify(execFile)(process.execPath, ['--import', tsx, join(repo, 'infra/app.ts')], {
        cwd: tmpdir(), // the app must not depend on the working directory
        env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ eksAccessPilot: bad }), CDK_OUTDIR: outdir },
      });
      // assert
      await expect(run).rejects.toMatchObject({ stderr: expect.stringMatching(/eksAccessPilot\.resyncSchedule: must be rate\(\.\.\.\) or cron\(\.\.\.\)/) });
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});

describe('the access-entry headroom', () => {
  it('reaches the provisioner and the resync in EAP_CONFIG, as configured', () => {
    // arrange
    const { main } = buildApp({ ...shippedConfig(), accessEntryHeadroomPercent: 90 });
    for (const fn of ['ProvisionerFunction', 'ResyncFunction']) {
      // act
      const env = JSON.stringify(properties(main, 'AWS::Lambda::Function', fn).Environment.Variables.EAP_CONFIG);
      // assert: the JSON travels escaped inside the template's Fn::Join
      expect(env).toMatch(/\\"accessEntryHeadroomPercent\\":90[,}]/);
    }
  });

  it('fails synth naming the field when it is out of range', () => {
    expect(() => loadConfig(appWith({ ...shippedConfig(), accessEntryHeadroomPercent: 120 }))).toThrow(/eksAccessPilot\.accessEntryHeadroomPercent: must be at most 100/);
  });
});

describe('a configuration too large for the Lambda environment', () => {
  it('fails synth saying so', () => {
    const clusters = Array.from({ length: 80 }, (_, i) => ({ name: `cluster-number-${i}`, region: 'eu-west-1' }));
    expect(() => buildApp({ ...shippedConfig(), clusters })).toThrow(/EAP_CONFIG.*4096/);
  });
});

describe('identityCenter', () => {
  const identityCenter = {
    instanceArn: 'arn:aws:sso:::instance/ssoins-0123456789abcdef',
    region: 'eu-west-1',
    readRoleArn: 'arn:aws:iam::999988887777:role/eks-access-pilot-identity-center-read',
    permissionSets: [{ name: 'PlatformReadOnly', tags: { 'eks-access': 'view' } }],
  };

  it('reaches the provisioner and the resync in EAP_CONFIG, with the default username', () => {
    // arrange
    const { main } = buildApp({ ...shippedConfig(), identityCenter });
    for (const fn of ['ProvisionerFunction', 'ResyncFunction']) {
      // act
      const env = JSON.stringify(properties(main, 'AWS::Lambda::Function', fn).Environment.Variables.EAP_CONFIG);
      // assert: the JSON travels escaped inside the template's Fn::Join
      expect(env).toContain('\\"readRoleArn\\":\\"arn:aws:iam::999988887777:role/eks-access-pilot-identity-center-read\\"');
      expect(env).toContain('\\"username\\":\\"sso:{{SessionName}}\\"');
      expect(env).toContain('\\"PlatformReadOnly\\"');
    }
  });

  it('fails synth naming the field when the read role is not a role ARN', () => {
    const bad = { ...shippedConfig(), identityCenter: { ...identityCenter, readRoleArn: 'arn:aws:iam::999988887777:user/alice' } };
    expect(() => loadConfig(appWith(bad))).toThrow(/eksAccessPilot\.identityCenter\.readRoleArn: /);
  });

  it('fails synth naming the field when the username is one EKS refuses', () => {
    const bad = { ...shippedConfig(), identityCenter: { permissionSets: identityCenter.permissionSets, username: '{{SessionName}}' } };
    expect(() => loadConfig(appWith(bad))).toThrow(/eksAccessPilot\.identityCenter\.username: /);
  });
});
