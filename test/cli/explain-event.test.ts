import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import type { CommandIO } from '../../cli/lib/command.ts';
import { eventPath, loadEvent } from '#test/helpers/events';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: CommandIO = { out: (l) => out.push(l), err: (l) => err.push(l) };
  return { io, out, err };
}

async function explain(...args: string[]) {
  const { io, out, err } = capture();
  const code = await main(['explain-event', ...args], io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

describe('eks-access-pilot explain-event', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'explain-event-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  function writeTemp(name: string, content: string): string {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  }

  it('prints exactly action, principal and reason as JSON for an event it reconciles, and exits 0', async () => {
    const { code, stdout, stderr } = await explain(eventPath('iam/create-role'), '--json');

    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(JSON.parse(stdout)).toStrictEqual({
      action: 'reconcile',
      principal: { kind: 'role', name: 'team-a-deployer', arn: 'arn:aws:iam::111122223333:role/team-a-deployer' },
      reason: expect.stringMatching(/hint/),
    });
  });

  it('leaves out the ARN when the event does not carry one', async () => {
    const { stdout } = await explain(eventPath('iam/tag-role'), '--json');

    expect(JSON.parse(stdout).principal).toStrictEqual({ kind: 'role', name: 'team-a-deployer' });
  });

  it('exits 0 for an event the rule filters out: the provisioner never sees it, and says why', async () => {
    const { code, stdout } = await explain(eventPath('iam/tag-role-unrelated-key'), '--json');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toStrictEqual({
      action: 'filtered',
      principal: { kind: 'role', name: 'team-a-deployer' },
      reason: expect.stringMatching(/^filtered by the rule: EventBridge does not deliver it to the provisioner, which never sees it \(TagRole set no eks-access tag key \(keys: cost-center\); /),
    });
  });

  it('exits 0 for an event the rule delivers and the provisioner ignores, saying why', async () => {
    const file = writeTemp('slr.json', readFileSync(eventPath('iam/tag-role'), 'utf8').replaceAll('team-a-deployer', 'AWSServiceRoleForAmazonEKS'));

    const { code, stdout } = await explain(file, '--json');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toStrictEqual({
      action: 'ignore',
      principal: { kind: 'role', name: 'AWSServiceRoleForAmazonEKS' },
      reason: 'AWSServiceRoleForAmazonEKS is a service-linked role, which is never given access',
    });
  });

  it('prints a null principal for a well-formed event that names none', async () => {
    const file = writeTemp(
      'scheduled.json',
      JSON.stringify({
        version: '0',
        id: '89d1a02d-5ec7-412e-82f5-13505f849b41',
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: '111122223333',
        time: '2025-03-04T12:00:00Z',
        region: 'us-east-1',
        resources: [],
        detail: {},
      }),
    );

    const { code, stdout } = await explain(file, '--json');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ action: 'filtered', principal: null, reason: expect.stringContaining('(it comes from aws.events, not aws.iam)') });
  });

  it('explains in a sentence without --json', async () => {
    const { code, stdout } = await explain(eventPath('iam/failed-tag-role'));

    expect(code).toBe(0);
    expect(stdout).toBe(
      'TagRole: filtered role team-a-deployer.\nFiltered by the rule: EventBridge does not deliver it to the provisioner, which never sees it' +
        ' (the IAM call failed (AccessDenied); nothing changed); the scheduled resync reconciles every principal anyway.',
    );
  });

  it('says why a level written with trailing spaces is refused, not trimmed', async () => {
    const event = loadEvent('iam/tag-role');
    event.detail.requestParameters = { roleName: 'team-a-deployer', tags: [{ key: 'eks-access', value: 'edit   ' }] };
    const file = writeTemp('padded.json', JSON.stringify(event));

    const text = await explain(file);
    const asJson = await explain(file, '--json');

    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')).toContainEqual(
      'Invalid tag eks-access="edit   ": the provisioner refuses it and changes nothing for this principal: level "edit   " has leading or trailing spaces; values are compared exactly, so it is refused, not trimmed (write "edit").',
    );
    expect(JSON.parse(asJson.stdout).problems).toStrictEqual([{ key: 'eks-access', value: 'edit   ', message: expect.stringMatching(/refused, not trimmed/) }]);
  });

  // The SCP protects `<prefix>/<cluster>` only in the prefix's own spelling (StringLike is
  // case-sensitive; IAM User Guide, condition operators), so the provisioner honours only that one.
  it('says why a per-cluster key in another spelling than the prefix is refused', async () => {
    const event = loadEvent('iam/tag-role');
    event.detail.requestParameters = { roleName: 'team-a-deployer', tags: [{ key: 'eKs-AcCeSs/prod', value: 'view' }] };
    const file = writeTemp('odd-spelling.json', JSON.stringify(event));

    const text = await explain(file);
    const asJson = await explain(file, '--json');

    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')).toContainEqual(
      expect.stringMatching(/^Invalid tag eKs-AcCeSs\/prod="view": the provisioner refuses it and changes nothing for this principal: .*not spelled "eks-access\/<cluster>".*write "eks-access\/prod"/),
    );
    expect(JSON.parse(asJson.stdout)).toMatchObject({ action: 'reconcile', problems: [{ key: 'eKs-AcCeSs/prod', value: 'view', message: expect.stringMatching(/SCP/) }] });
  });

  it('explains a rename (UpdateUser) as a reconcile of both names', async () => {
    const { code, stdout } = await explain(eventPath('iam/update-user-rename'), '--json');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ action: 'reconcile', reason: expect.stringMatching(/reporting-bot to reporting-bot-v2/) });
  });

  it('reports no problem for a well-spelled level', async () => {
    const { stdout } = await explain(eventPath('iam/tag-role'), '--json');

    expect(JSON.parse(stdout)).not.toHaveProperty('problems');
  });

  it('honours --tag-prefix', async () => {
    const { code, stdout } = await explain(eventPath('iam/tag-role'), '--json', '--tag-prefix', 'k8s-access');

    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ action: 'filtered', reason: expect.stringContaining('TagRole set no k8s-access tag key (keys: eks-access)') });
  });

  describe('bad input exits 1 and names the problem', () => {
    it('a malformed event: the field path', async () => {
      const event = loadEvent('iam/tag-role');
      event.detail.requestParameters!.roleName = 42;
      const file = writeTemp('malformed.json', JSON.stringify(event));

      const { code, stdout, stderr } = await explain(file, '--json');

      expect(code).toBe(1);
      expect(stdout).toBe('');
      expect(stderr).toBe(`${file} is not a well-formed EventBridge event: detail.requestParameters.roleName: expected a string, got a number`);
    });

    it('a file that is not JSON', async () => {
      const file = writeTemp('broken.json', '{"detail": ');

      const { code, stderr } = await explain(file);

      expect(code).toBe(1);
      expect(stderr.startsWith(`${file} is not valid JSON: `)).toBe(true);
    });

    it('a file that does not exist', async () => {
      const { code, stderr } = await explain(join(dir, 'missing.json'));

      expect(code).toBe(1);
      expect(stderr).toMatch(/^cannot read .*missing\.json: ENOENT/);
    });
  });

  describe('usage errors exit 2', () => {
    it.each([
      ['no FILE', [], /missing FILE/],
      ['two FILEs', ['a.json', 'b.json'], /expected one FILE, got 2/],
      ['an unknown option', [eventPath('iam/tag-role'), '--verbose'], /Unknown option '--verbose'/],
      ['--tag-prefix without a value', [eventPath('iam/tag-role'), '--tag-prefix'], /--tag-prefix/],
      ['a tag prefix IAM would not accept', [eventPath('iam/tag-role'), '--tag-prefix', 'eks/access'], /^--tag-prefix: /],
    ])('%s', async (_label, args, message) => {
      const { code, stdout, stderr } = await explain(...args);

      expect(code).toBe(2);
      expect(stdout).toBe('');
      expect(stderr).toMatch(message);
      expect(stderr).toContain('usage: eks-access-pilot explain-event FILE');
    });
  });
});

describe('eks-access-pilot explain-event: expiries', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'explain-expiry-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  function tagRole(tags: Array<{ key: string; value: string }>): string {
    const e = loadEvent('iam/tag-role');
    e.detail.requestParameters = { roleName: 'team-a-deployer', tags };
    const path = join(dir, `tag-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(e));
    return path;
  }
  const NOW = ['--now', '2026-12-02T22:00Z'];

  it('says a future expiry grants until then and is revoked on time', async () => {
    const { code, stdout } = await explain(tagRole([{ key: 'eks-access', value: 'edit' }, { key: 'eks-access-expires', value: '2026-12-03T06:00Z' }]), ...NOW);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Expiry eks-access-expires=2026-12-03T06:00Z: access is granted until 2026-12-03T06:00Z; a one-time schedule revokes it then/m);
  });

  it('says a passed expiry revokes, as if untagged', async () => {
    const { stdout } = await explain(tagRole([{ key: 'EKS-Access-Expires', value: '2026-12-01T06:00Z' }]), ...NOW, '--json');

    expect(JSON.parse(stdout).expiry).toEqual({
      change: 'set',
      key: 'EKS-Access-Expires',
      value: '2026-12-01T06:00Z',
      state: 'passed',
      text: expect.stringMatching(/has passed \(now 2026-12-02T22:00:00.000Z\): no access, as if untagged; every entry this system granted the principal is revoked/),
    });
  });

  it('says why an expiry is refused: not UTC, or a day that does not exist', async () => {
    const offset = await explain(tagRole([{ key: 'eks-access-expires', value: '2026-12-03T06:00+01:00' }]), ...NOW);
    const leap = await explain(tagRole([{ key: 'eks-access-expires', value: '2025-02-29T06:00Z' }]), ...NOW, '--json');

    expect(offset.stdout).toMatch(/^Invalid tag eks-access-expires="2026-12-03T06:00\+01:00": the provisioner refuses it and changes nothing for this principal: .*is not in UTC/m);
    expect(JSON.parse(leap.stdout)).toMatchObject({ expiry: { state: 'invalid' }, problems: [{ key: 'eks-access-expires', message: expect.stringMatching(/2025-02 has no day 29/) }] });
  });

  it('explains a fired expiry schedule\'s input', async () => {
    const path = join(dir, 'fired.json');
    writeFileSync(path, JSON.stringify({ 'eks-access-pilot': 'expiry', principalArn: 'arn:aws:iam::111122223333:role/on-call', expiresAt: '2026-12-02T21:59Z' }));

    const { code, stdout } = await explain(path, ...NOW);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^ExpiryScheduleFired: reconcile role on-call \(arn:aws:iam::111122223333:role\/on-call\)\./);
    expect(stdout).toMatch(/^If eks-access-expires still says 2026-12-02T21:59Z, 2026-12-02T21:59Z has passed/m);
  });

  it('exits 1 for a malformed expiry input, naming the field', async () => {
    const path = join(dir, 'fired-bad.json');
    writeFileSync(path, JSON.stringify({ 'eks-access-pilot': 'expiry', principalArn: 'on-call', expiresAt: '2026-12-02T21:59Z' }));

    const { code, stderr } = await explain(path);

    expect(code).toBe(1);
    expect(stderr).toMatch(/principalArn: must be an IAM role or user ARN/);
  });

  it('says an Untag of the expiry makes the grant permanent', async () => {
    const e = loadEvent('iam/untag-role');
    e.detail.requestParameters = { roleName: 'team-a-deployer', tagKeys: ['eks-access-expires'] };
    const path = join(dir, 'untag.json');
    writeFileSync(path, JSON.stringify(e));

    const { stdout } = await explain(path, '--json');

    expect(JSON.parse(stdout).expiry).toEqual({ change: 'removed', key: 'eks-access-expires', text: expect.stringMatching(/no longer ends/) });
  });

  it('exits 2 for a --now that is not a UTC instant', async () => {
    const { code, stderr } = await explain(tagRole([]), '--now', '2026-12-02T22:00');

    expect(code).toBe(2);
    expect(stderr).toMatch(/--now: .*has no time zone/);
  });
});
