/**
 * `eks-access-pilot invoke`: the real handler modules run locally with event files from
 * `events/`, their own SDK clients pointed at the HTTP sandbox through AWS_ENDPOINT_URL_*.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { POLICY_ARN_PREFIX } from '#kernel/config';
import { startSandbox, type Sandbox } from '#sandbox/server/index';
import { testRuntime } from '#test/helpers/config';
import { eventPath } from '#test/helpers/events';
import { main } from '../../cli/main.ts';
import type { CommandIO } from '../../cli/lib/command.ts';
import { FUNCTIONS } from '../../cli/commands/invoke.ts';

const ROLE = 'arn:aws:iam::111122223333:role/team-a-deployer';

let sandbox: Sandbox;
let dir: string;

async function invoke(...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { out: (l) => out.push(l), err: (l) => err.push(l) };
  const code = await main(['invoke', ...args], io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'invoke-cli-'));
  // testRuntime()'s clusters; analytics stays in CONFIG_MAP and is skipped by the reconcile.
  sandbox = await startSandbox({
    seed: {
      iam: { roles: [{ name: 'team-a-deployer', tags: { 'eks-access': 'view' } }] },
      clusters: [
        { name: 'prod', region: 'eu-west-1', authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' },
        { name: 'staging', region: 'eu-west-1', authenticationMode: 'API', version: '1.31', platformVersion: 'eks.12' },
        { name: 'analytics', region: 'us-east-1', authenticationMode: 'CONFIG_MAP', version: '1.31', platformVersion: 'eks.12' },
      ],
    },
  });
});

afterAll(async () => {
  await sandbox.stop();
  rmSync(dir, { recursive: true, force: true });
  vi.unstubAllEnvs();
});

describe('eks-access-pilot invoke', () => {
  it('explains how to get EAP_CONFIG when it is missing, without loading the handler', async () => {
    vi.stubEnv('EAP_CONFIG', '');

    const { code, stdout, stderr } = await invoke('provisioner', eventPath('iam/tag-role'));

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^EAP_CONFIG is not set\. .*`npm run sandbox`/);
  });

  it('names the field of an invalid EAP_CONFIG', async () => {
    vi.stubEnv('EAP_CONFIG', JSON.stringify({ config: { clusters: [{ name: 'prod', region: 'nowhere' }] }, systemRoleArns: [] }));

    const { code, stderr } = await invoke('resync', eventPath('iam/tag-role'));

    expect(code).toBe(1);
    expect(stderr).toMatch(/^invalid EAP_CONFIG:\nconfig\.clusters\[0\]\.region: must be an AWS region/);
  });

  it('runs the provisioner on an event file against the sandbox and prints its result as JSON', async () => {
    // arrange: the handler reads EAP_CONFIG and the endpoints when its module loads
    for (const [k, v] of Object.entries(sandbox.env)) vi.stubEnv(k, v);
    vi.stubEnv('EAP_CONFIG', JSON.stringify(testRuntime()));

    // act
    const { code, stdout, stderr } = await invoke('provisioner', eventPath('iam/tag-role'));

    // assert: stdout is the result only; the log lines went to stderr
    expect(code).toBe(0);
    // One outcome per principal of the event (two for a renamed user); a TagRole names one.
    const outcomes = JSON.parse(stdout) as Array<{ clusters: Array<{ cluster: string; action: string }> }>;
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.clusters.map((c) => [c.cluster, c.action])).toEqual(
      expect.arrayContaining([
        ['prod', 'grant'],
        ['staging', 'grant'],
        ['analytics', 'cluster-not-ready'],
      ]),
    );
    expect(stderr).toMatch(/"message":"access decision"/);
    const entry = sandbox.model.eks.listAssociatedAccessPolicies('eu-west-1', { clusterName: 'prod', principalArn: ROLE });
    expect(entry.associatedAccessPolicies?.map((p) => p.policyArn)).toEqual([`${POLICY_ARN_PREFIX}AmazonEKSViewPolicy`]);
  });

  it('runs the resync with any event: nothing to change once the provisioner converged', async () => {
    const file = join(dir, 'scheduled.json');
    writeFileSync(file, '{}');

    const { code, stdout } = await invoke('resync', file);

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ changed: 0, clustersNotReady: ['analytics (us-east-1)'], failedClusters: [] });
  });

  it('runs a migration task, which needs no EAP_CONFIG', async () => {
    vi.stubEnv('EAP_CONFIG', '');

    const { code, stdout } = await invoke('validate-input', 'events/migration-tasks/validate-input.json');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      clusterName: 'prod',
      region: 'eu-west-1',
      targetMode: 'API',
      dryRun: true,
      approveCutover: false,
      executionName: 'prod-to-api-20260322T101500Z',
      bucket: 'eksaccesspilot-migrationbackups1a2b3c-9z8y7x6w5v4u',
      approvalTimeoutSeconds: 86400,
      pollSeconds: 30,
      maxPolls: 40,
    });
  });

  it('exits 1 with the error name and message when the handler throws', async () => {
    const file = join(dir, 'bad-input.json');
    writeFileSync(file, JSON.stringify({ input: { clusterName: 'prod', region: 'eu-west-1', targetMode: 'API' }, executionName: 'x', stateMachineArn: '', settings: {} }));

    const { code, stdout, stderr } = await invoke('validate-input', file);

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/^validate-input failed: InvalidInputError: invalid input: dryRun: must be true or false$/m);
  });

  it('exits 1 when the event file cannot be read or parsed', async () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"detail":');

    const missing = await invoke('validate-input', join(dir, 'missing.json'));
    const notJson = await invoke('validate-input', broken);

    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^cannot read the event .*missing\.json: ENOENT/);
    expect(notJson.code).toBe(1);
    expect(notJson.stderr).toMatch(/^cannot read the event .*broken\.json: /);
  });

  it('knows every Lambda function of the workflow and the two reconcilers', () => {
    expect(Object.keys(FUNCTIONS).sort()).toEqual(
      ['backup', 'create-entries', 'describe-cluster', 'plan', 'provisioner', 'recheck', 'relist', 'report', 'request-approval', 'resync', 'rollback', 'validate-input', 'verify'].sort(),
    );
  });

  it.each([
    ['no arguments', [], /missing FUNCTION/],
    ['no event file', ['provisioner'], /missing EVENT_FILE/],
    ['an unknown function', ['deployer', 'x.json'], /unknown FUNCTION "deployer"; one of: provisioner, resync, validate-input/],
  ])('exits 2 for a usage error: %s', async (_label, args, message) => {
    const { code, stderr } = await invoke(...args);

    expect(code).toBe(2);
    expect(stderr).toMatch(message);
    expect(stderr).toContain('usage: eks-access-pilot invoke FUNCTION EVENT_FILE');
  });
});
