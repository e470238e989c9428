import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import type { CommandIO } from '../../cli/lib/command.ts';

const events = (name: string) => fileURLToPath(new URL(`../../events/aws-auth/${name}`, import.meta.url));

function capture(): CommandIO & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => stdout.push(l), err: (l) => stderr.push(l) };
}

async function run(...args: string[]) {
  const io = capture();
  const code = await main(['plan', ...args], io);
  return { code, out: io.stdout.join('\n'), err: io.stderr.join('\n') };
}

describe('eks-access-pilot plan', () => {
  const dir = mkdtempSync(join(tmpdir(), 'plan-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the plan of the realistic sample as JSON with exactly valid, errors, warnings, rows, blockers, and exits 0', async () => {
    // act
    const { code, out } = await run('--aws-auth', events('realistic.yaml'), '--json');

    // assert
    expect(code).toBe(0);
    const plan = JSON.parse(out) as Record<string, unknown> & { rows: Array<Record<string, unknown>> };
    expect(Object.keys(plan)).toEqual(['valid', 'errors', 'warnings', 'rows', 'blockers']);
    expect(plan).toMatchObject({ valid: true, errors: [], warnings: [], blockers: [] });
    for (const row of plan.rows) expect(Object.keys(row)).toEqual(['source', 'principalArn', 'action', 'entry', 'notes']);
    expect(plan.rows.map((r) => [r.source, r.action, (r.entry as { type: string }).type])).toEqual([
      ['mapRoles[0]', 'create', 'EC2_LINUX'],
      ['mapRoles[1]', 'create', 'EC2_WINDOWS'],
      ['mapRoles[2]', 'eks-managed', 'FARGATE_LINUX'],
      ['mapRoles[3]', 'create', 'STANDARD'],
      ['mapRoles[4]', 'create', 'STANDARD'],
      ['mapUsers[0]', 'create', 'STANDARD'],
    ]);
    expect(plan.rows[3]!.entry).toEqual({
      type: 'STANDARD',
      username: 'platform-admin:{{SessionName}}',
      accessPolicies: [{ policyArn: 'arn:aws:eks::aws:cluster-access-policy/AmazonEKSClusterAdminPolicy', accessScope: { type: 'cluster' } }],
    });
    expect(plan.rows[4]!.entry).toMatchObject({ kubernetesGroups: ['pod-readers'] });
  });

  it('exits 0 for a valid plan with flags and lists the blockers', async () => {
    // act
    const { code, out } = await run('--aws-auth', events('with-problems.yaml'), '--json');

    // assert
    expect(code).toBe(0);
    const plan = JSON.parse(out) as { valid: boolean; rows: Array<{ source: string; action: string }>; blockers: string[] };
    expect(plan.valid).toBe(true);
    expect(plan.rows.filter((r) => r.action === 'flag').map((r) => r.source)).toEqual(['mapRoles[1]', 'mapRoles[2]', 'mapRoles[4]', 'mapAccounts[0]']);
    expect(plan.blockers.map((b) => b.split(' ')[0])).toEqual(['mapRoles[4]', 'mapAccounts[0]']);
  });

  it('prints a readable table and summary without --json', async () => {
    // act
    const { code, out } = await run('--aws-auth', events('with-problems.yaml'));

    // assert
    expect(code).toBe(0);
    expect(out).toMatch(/^SOURCE\s+ACTION\s+PRINCIPAL\s+ENTRY$/m);
    expect(out).toMatch(/^mapRoles\[1\]\s+flag\s+arn:aws:iam::111122223333:role\/platform\/eks-operators\s+STANDARD/m);
    expect(out).toContain('6 rows: 2 to create, 0 created by EKS, 4 flagged');
    expect(out).toContain('2 blocker(s)');
  });

  it('shows the warnings and flags of rows as found in the wild, under their rows and after the counts', async () => {
    // act
    const { code, out } = await run('--aws-auth', events('in-the-wild.yaml'));

    // assert
    expect(code).toBe(0);
    expect(out).toMatch(/^mapRoles\[1\]\s+flag\s+\S+NodeInstanceRole\S+\s+EC2_WINDOWS$/m);
    expect(out).toMatch(/^mapRoles\[2\]\s+eks-managed\s+\S+eks-prod-fargate-pods\s+FARGATE_LINUX$/m);
    expect(out).toMatch(/^mapRoles\[3\]\s+create\s+\S+role\/bastion\s+STANDARD policy=AmazonEKSClusterAdminPolicy@cluster$/m);
    expect(out).toMatch(/^ {4}! warning: username "system:bastion:\{\{SessionName\}\}" is not kept/m);
    expect(out).toMatch(/^ {4}- username "oncall - system:masters" holds a YAML list folded into one string.*Likely intent: username "oncall", groups \[system:masters\]/m);
    expect(out).toMatch(/^mapRoles\[5\]\s+create\s+arn:aws:iam::111122223333:role\/AWSReservedSSO_PlatformAdmin_\*/m);
    expect(out).toContain('6 rows: 2 to create, 1 created by EKS, 3 flagged');
    expect(out).toContain('5 warning(s) — they block nothing, but read them:');
    expect(out).toMatch(/^ {2}! data\.mapGroups \(line 3\): data key "mapGroups" is not read by the authenticator/m);
    expect(out).toMatch(/^ {2}! data\.maproles \(line 37\): .*whoever it lists has no access today/m);
    expect(out).toMatch(/^ {2}! mapRoles\[2\] \(line 19\): username "fargate-node" is not kept/m);
    expect(out).toContain('2 blocker(s)');
    expect(out).toMatch(/^ {2}\* mapRoles\[1\] .*one node role for Linux \(mapRoles\[0\]\) and Windows \(mapRoles\[1\]\) nodes/m);
    expect(out).toMatch(/^ {2}\* mapRoles\[4\] .*folded/m);
  });

  it('puts the warnings in the JSON as where and message, and a row\'s own warnings on the row', async () => {
    // act
    const { code, out } = await run('--aws-auth', events('in-the-wild.yaml'), '--json');

    // assert
    expect(code).toBe(0);
    const plan = JSON.parse(out) as { warnings: Array<Record<string, string>>; rows: Array<{ source: string; warnings?: string[] }> };
    for (const w of plan.warnings) expect(Object.keys(w)).toEqual(['where', 'message']);
    expect(plan.warnings.map((w) => w.where)).toEqual(['data.mapGroups (line 3)', 'data.maproles (line 37)', 'mapRoles[2] (line 19)', 'mapRoles[3] (line 24)', 'mapRoles[5] (line 31)']);
    expect(plan.rows.filter((r) => r.warnings).map((r) => r.source)).toEqual(['mapRoles[2]', 'mapRoles[3]', 'mapRoles[5]']);
  });

  it('exits 1 for a malformed ConfigMap, with the errors in the JSON', async () => {
    // act
    const { code, out } = await run('--aws-auth', events('malformed.yaml'), '--json');

    // assert
    expect(code).toBe(1);
    const plan = JSON.parse(out) as { valid: boolean; errors: Array<{ where: string; message: string }>; rows: unknown[] };
    expect(plan.valid).toBe(false);
    expect(plan.rows).toEqual([]);
    for (const e of plan.errors) expect(Object.keys(e)).toEqual(['where', 'message']);
    // An unknown data key is a warning, also in a document that is malformed for other reasons.
    expect((plan as unknown as { warnings: Array<{ where: string }> }).warnings.map((w) => w.where)).toEqual(['data.maproles (line 18)']);
    expect(plan.errors.map((e) => e.where)).toEqual([
      'mapRoles (line 6)',
      'mapUsers[0].user_arn (line 8)',
      'mapUsers[0] (line 8)',
      'mapUsers[1].userarn (line 12)',
      'mapUsers[2].groups (line 17)',
    ]);
  });

  it('exits 1 for a malformed ConfigMap and prints the errors to stderr without --json', async () => {
    // act
    const { code, out, err } = await run('--aws-auth', events('malformed.yaml'));

    // assert
    expect(code).toBe(1);
    expect(out).toBe('');
    expect(err).toContain('mapUsers[1].userarn (line 12): userarn still holds a template placeholder');
  });

  it('exits 1 when the file cannot be read', async () => {
    // act
    const { code, err } = await run('--aws-auth', join(dir, 'missing.yaml'), '--json');

    // assert
    expect(code).toBe(1);
    expect(err).toMatch(/cannot read .*missing\.yaml/);
  });

  it('accepts --aws-auth=FILE', async () => {
    // arrange
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\n');

    // act
    const { code, out } = await run(`--aws-auth=${file}`, '--json');

    // assert
    expect(code).toBe(0);
    expect(JSON.parse(out)).toEqual({ valid: true, errors: [], warnings: [], rows: [], blockers: [] });
  });

  it.each([
    ['no --aws-auth', []],
    ['--aws-auth without a file', ['--aws-auth']],
    ['an unknown option', ['--aws-auth', 'x.yaml', '--yaml']],
  ])('exits 2 for a usage error: %s', async (_name, args) => {
    // act
    const { code, err } = await run(...args);

    // assert
    expect(code).toBe(2);
    expect(err).toContain('usage: eks-access-pilot plan --aws-auth FILE [--json]');
  });
});
