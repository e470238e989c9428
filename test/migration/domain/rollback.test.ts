import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { parseAwsAuth } from '#migration/domain/aws-auth';
import { AwsAuthMergeError } from '#migration/domain/errors';
import { canonicalData, dataSha256, entriesDecision, failedStep, mergeAwsAuth, rollbackCause, type ExecutionProgress } from '#migration/domain/rollback';
import { done, incompleteRollbackStory, nextActions, notDone, notNeeded, rollbackComplete, UNDO_STEPS, type RollbackReport } from '#migration/domain/rollback-report';

const row = (arn: string, groups = ['g']) => `- rolearn: ${arn}\n  groups: [${groups.join(', ')}]\n`;

describe('canonicalData / dataSha256', () => {
  it('hashes the same data the same whatever the key order', () => {
    expect(canonicalData({ b: '2', a: '1' })).toBe('{"a":"1","b":"2"}');
    expect(dataSha256({ b: '2', a: '1' })).toBe(dataSha256({ a: '1', b: '2' }));
    expect(dataSha256({ a: '1' })).not.toBe(dataSha256({ a: '2' }));
  });
});

describe('mergeAwsAuth', () => {
  it('re-adds rows of the backup that are missing now and keeps rows added since', () => {
    // arrange
    const backup = { mapRoles: row('arn:aws:iam::1:role/a') + row('arn:aws:iam::1:role/b') };
    const current = { mapRoles: row('arn:aws:iam::1:role/a') + row('arn:aws:iam::1:role/node-new', ['system:nodes']) };

    // act
    const merge = mergeAwsAuth(backup, current);

    // assert
    expect(merge.changed).toBe(true);
    expect(merge.restored).toEqual(['mapRoles: arn:aws:iam::1:role/b']);
    expect((parse(merge.data.mapRoles!) as Array<{ rolearn: string }>).map((r) => r.rolearn)).toEqual([
      'arn:aws:iam::1:role/a',
      'arn:aws:iam::1:role/node-new',
      'arn:aws:iam::1:role/b',
    ]);
  });

  it('matches role rows case-insensitively and with any key case, like the authenticator', () => {
    const merge = mergeAwsAuth({ mapRoles: row('arn:aws:iam::1:role/Admin') }, { mapRoles: '- RoleArn: arn:aws:iam::1:role/admin\n  groups: [x]\n' });

    expect(merge.changed).toBe(false);
  });

  it('leaves a row that exists in both as it is now (edited on purpose after the backup)', () => {
    const current = { mapRoles: row('arn:aws:iam::1:role/a', ['changed']) };

    expect(mergeAwsAuth({ mapRoles: row('arn:aws:iam::1:role/a') }, current)).toEqual({ data: current, changed: false, restored: [], problems: [] });
  });

  it('restores whole keys that disappeared, users and accounts included', () => {
    const backup = { mapUsers: '- userarn: arn:aws:iam::1:user/bob\n  groups: [x]\n', mapAccounts: '- "444455556666"\n', other: 'kept' };

    const merge = mergeAwsAuth(backup, {});

    expect(merge.data).toEqual(backup);
    expect(merge.restored).toEqual(['mapUsers: arn:aws:iam::1:user/bob', 'mapAccounts: "444455556666"', 'data key other']);
  });

  it('does not touch a list it cannot parse, and says so', () => {
    const current = { mapRoles: '- rolearn: [unclosed' };

    const merge = mergeAwsAuth({ mapRoles: row('arn:aws:iam::1:role/a') }, current);

    expect(merge.data).toEqual(current);
    expect(merge.problems).toEqual(['mapRoles: the current value is not a YAML list; left as it is now']);
  });

  it('is idempotent: merging again changes nothing', () => {
    const backup = { mapRoles: row('arn:aws:iam::1:role/a') + row('arn:aws:iam::1:role/b') };
    const once = mergeAwsAuth(backup, { mapRoles: row('arn:aws:iam::1:role/c') });

    expect(mergeAwsAuth(backup, once.data).changed).toBe(false);
  });
});

describe('mergeAwsAuth: YAML 1.1 values keep their meaning (the authenticator reads with go-yaml v2)', () => {
  /** The rows as the authenticator reads them (parseAwsAuth reads like it). */
  const read = (data: Record<string, string>) => {
    const doc = parseAwsAuth(stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'aws-auth', namespace: 'kube-system' }, data }));
    expect(doc.errors).toEqual([]);
    return doc.rows.map((r) => ({ arn: r.arn, username: r.username, groups: r.groups }));
  };
  const node = '- rolearn: arn:aws:iam::1:role/nodes\n  username: system:node:{{EC2PrivateDNSName}}\n  groups:\n    - system:bootstrappers\n    - system:nodes\n';
  const missingRow = row('arn:aws:iam::1:role/restored');

  it('keeps "on" and "y" strings: quoted, not turned into YAML 1.1 booleans that break the whole list', () => {
    // arrange
    const current = { mapRoles: `${node}- rolearn: arn:aws:iam::1:role/a\n  username: "on"\n  groups:\n    - "y"\n` };

    // act
    const merge = mergeAwsAuth({ mapRoles: missingRow }, current);

    // assert
    expect(merge.restored).toEqual(['mapRoles: arn:aws:iam::1:role/restored']);
    expect(merge.data.mapRoles).toContain('username: "on"');
    expect(merge.data.mapRoles).toContain('- "y"');
    expect(read(merge.data)).toEqual([...read(current), { arn: 'arn:aws:iam::1:role/restored', username: undefined, groups: ['g'] }]);
  });

  it.each(['yes', 'No', 'OFF', 'true', 'n', '~', 'null', '0123', '1e3', '0o17', '0x1F', '1_000', '.inf', '-1', '+1', '12:30', '2001-12-14', '<<'])(
    'keeps the string %j a string in the rows it keeps and in the rows it re-adds',
    (value) => {
      const quoted = JSON.stringify(value);
      const current = { mapRoles: `${node}- rolearn: arn:aws:iam::1:role/a\n  username: ${quoted}\n  groups: [${quoted}, team]\n` };
      const backup = { mapRoles: `${current.mapRoles}- rolearn: arn:aws:iam::1:role/b\n  username: ${quoted}\n  groups: [${quoted}]\n` };

      const merge = mergeAwsAuth(backup, current);

      expect(read(merge.data)).toEqual([...read(current), { arn: 'arn:aws:iam::1:role/b', username: value, groups: [value] }]);
      // Written double-quoted: go-yaml also reads Go-style numbers (0o17, 0x1F, 1_000) as integers.
      expect(merge.data.mapRoles).toContain(`username: ${quoted}`);
      expect(mergeAwsAuth(backup, merge.data).changed).toBe(false);
    },
  );

  it('refuses to rewrite a list it cannot read as the authenticator does, and writes nothing', () => {
    // `username: yes` unquoted is a boolean to the authenticator: rewriting the list would change it.
    const current = { mapRoles: `${node}- rolearn: arn:aws:iam::1:role/a\n  username: yes\n  groups: [team]\n` };

    expect(() => mergeAwsAuth({ mapRoles: missingRow }, current)).toThrow(AwsAuthMergeError);
    expect(() => mergeAwsAuth({ mapRoles: missingRow }, current)).toThrow(/mapRoles was not merged back \(nothing written\)[\s\S]*mapRoles\[1\]\.username/);
  });

  it('does not need to rewrite, and so does not refuse, when nothing is missing', () => {
    const current = { mapRoles: `${node}- rolearn: arn:aws:iam::1:role/a\n  username: yes\n  groups: [team]\n` };

    expect(mergeAwsAuth({ mapRoles: node }, current)).toEqual({ data: current, changed: false, restored: [], problems: [] });
  });
});

describe('entriesDecision: may the rollback delete the entries this execution created?', () => {
  it.each([
    // mode now, cluster updating, delete?, kept because (substring)
    ['CONFIG_MAP', false, false, undefined],
    ['API_AND_CONFIG_MAP', false, true, undefined],
    ['API_AND_CONFIG_MAP', true, false, 'switch to API is in progress'],
    ['API', false, false, 'only access'],
    ['API', true, false, 'only access'],
    ['SOMETHING_NEW', false, false, undefined],
  ] as const)('in %s (updating: %s) deletes: %s', (mode, updating, remove, because) => {
    const d = entriesDecision(mode, updating);
    expect(d.delete).toBe(remove);
    if (because) expect(d.keptBecause).toContain(because);
    else expect(d.keptBecause).toBeUndefined();
  });
});

describe('failedStep', () => {
  const base: ExecutionProgress = { cluster: { mode: 'CONFIG_MAP' }, run: { targetMode: 'API', pollSeconds: 30 } };
  const ok = { updateId: 'u', polls: 0, check: { Update: { Id: 'u', Status: 'Successful' } } };

  it('names the first step on the path whose result is missing, with the caught error', () => {
    const f = failedStep({ ...base, plan: {}, hybridSwitch: ok, entriesAfterSwitch: {}, error: { Error: 'AccessEntryConflictError', Cause: '{"errorType":"AccessEntryConflictError","errorMessage":"mapRoles[3] differs","trace":[]}' } });

    expect(f).toEqual({ step: 'CreateAccessEntries', error: 'MigrationFailed.CreateAccessEntries', reason: 'Create access entries failed: AccessEntryConflictError: mapRoles[3] differs' });
  });

  it('skips the first switch when the cluster started in API_AND_CONFIG_MAP', () => {
    expect(failedStep({ ...base, cluster: { mode: 'API_AND_CONFIG_MAP' }, plan: {} }).step).toBe('ReListAccessEntries');
  });

  it('tells a Failed update from a poll timeout, without any caught error', () => {
    const failed = failedStep({ ...base, plan: {}, hybridSwitch: { updateId: 'u', polls: 0, check: { Update: { Id: 'u', Status: 'Failed', Errors: [{ ErrorCode: 'Unknown', ErrorMessage: 'boom' }] } } } });
    const timeout = failedStep({ ...base, plan: {}, hybridSwitch: { updateId: 'u', polls: 3, check: { Update: { Id: 'u', Status: 'InProgress' } } } });

    expect(failed.reason).toBe('the EKS update u to API_AND_CONFIG_MAP ended Failed (Unknown: boom)');
    expect(timeout.reason).toContain('still InProgress after 4 status checks (about 120 s)');
    expect(timeout.reason).toContain('poll timeout');
  });

  it('uses an SDK integration Cause as it is', () => {
    const f = failedStep({ ...base, plan: {}, hybridSwitch: ok, entriesAfterSwitch: {}, created: {}, verified: {}, rechecked: {}, error: { Error: 'Eks.InvalidParameterException', Cause: 'Unsupported (Service: Eks, Status Code: 400)' } });

    expect(f.step).toBe('SwitchToApi');
    expect(f.reason).toContain('Eks.InvalidParameterException: Unsupported');
  });

  it('names the re-check before API when it failed for another reason than a change', () => {
    const f = failedStep({ ...base, plan: {}, hybridSwitch: ok, entriesAfterSwitch: {}, created: {}, verified: {}, error: { Error: 'Error', Cause: '{"errorType":"Error","errorMessage":"connect ETIMEDOUT","trace":[]}' } });

    expect(f.step).toBe('RecheckBeforeApi');
    expect(f.reason).toBe('Re-check before API failed: Error: connect ETIMEDOUT');
  });

  it('has no second switch for a target of API_AND_CONFIG_MAP', () => {
    expect(failedStep({ ...base, run: { ...base.run, targetMode: 'API_AND_CONFIG_MAP' }, plan: {}, hybridSwitch: ok, entriesAfterSwitch: {}, created: {}, verified: {} }).step).toBe('Report');
  });
});

describe('rollbackCause', () => {
  it('says what failed, what was undone, that the mode is one-way, and where the backup is', () => {
    const cause = rollbackCause({
      failed: { step: 'VerifyAccessEntries', error: 'MigrationFailed.VerifyAccessEntries', reason: 'Verify access entries failed: x' },
      clusterName: 'prod',
      executionName: 'e1',
      modeNow: 'API_AND_CONFIG_MAP',
      updating: false,
      deleted: ['a', 'b'],
      awsAuth: { restored: [], problems: [] },
      backupLocation: 's3://b/backups/prod/e1/backup.json (version v1)',
    });

    expect(cause).toBe(
      'Verify access entries failed: x. Rollback: deleted the 2 access entries this execution created (tag eks-access-pilot/source=migration/e1); aws-auth already held every row of the backup (nothing to restore). ' +
        'Not undone: the authentication mode is API_AND_CONFIG_MAP; EKS cannot switch a cluster back to a mode without the access-entry API, so it stays. Backup: s3://b/backups/prod/e1/backup.json (version v1).',
    );
  });
});

describe('the story of an incomplete rollback (incompleteRollbackStory, nextActions)', () => {
  const report = (over: Partial<RollbackReport> = {}): RollbackReport => ({
    failed: { step: 'CreateAccessEntries', error: 'MigrationFailed.CreateAccessEntries', reason: 'Create access entries failed: x' },
    clusterName: 'prod',
    region: 'eu-west-1',
    executionName: 'e1',
    backup: { bucket: 'b', key: 'backups/prod/e1/backup.json', versionId: 'v1', location: 's3://b/backups/prod/e1/backup.json (version v1)' },
    cluster: { modeNow: 'API_AND_CONFIG_MAP', updating: false },
    steps: {
      describeCluster: done('API_AND_CONFIG_MAP, ACTIVE'),
      readBackup: done('s3://b/backups/prod/e1/backup.json (version v1)'),
      readAwsAuth: done('resourceVersion 7'),
      writeAwsAuth: notNeeded('aws-auth already holds every row of the backup'),
      listEntries: done('1 found'),
      deleteEntries: done('deleted 1'),
    },
    entriesLeft: [],
    ...over,
  });
  const arn = (i: number) => `arn:aws:iam::111122223333:role/r${i}`;

  it('is complete only when no undo step is NOT DONE', () => {
    expect(rollbackComplete(report())).toBe(true);
    for (const id of UNDO_STEPS) expect(rollbackComplete(report({ steps: { ...report().steps, [id]: notDone('x') } })), id).toBe(false);
  });

  it('names the first failure, every undo step with its status, the mode, the backup and the next action, in that order', () => {
    const r = report({ steps: { ...report().steps, deleteEntries: notDone(`deleted 0 of 1; not deleted: ${arn(1)}: AccessDeniedException: no`) }, entriesLeft: [arn(1)] });

    expect(incompleteRollbackStory(r)).toBe(
      'ROLLBACK INCOMPLETE after MigrationFailed.CreateAccessEntries. What failed first: Create access entries failed: x. ' +
        "Undo steps: (1) read the cluster's mode (EKS DescribeCluster): done (API_AND_CONFIG_MAP, ACTIVE); (2) read the backup (S3 GetObject): done (s3://b/backups/prod/e1/backup.json (version v1)); " +
        '(3) read aws-auth (Kubernetes API): done (resourceVersion 7); (4) merge the backup back into aws-auth (Kubernetes API): not needed (aws-auth already holds every row of the backup); ' +
        '(5) find the access entries this execution created (EKS ListAccessEntries, DescribeAccessEntry): done (1 found); ' +
        `(6) delete them (EKS DeleteAccessEntry): NOT DONE: deleted 0 of 1; not deleted: ${arn(1)}: AccessDeniedException: no. ` +
        'Not undone: the authentication mode is API_AND_CONFIG_MAP; EKS cannot switch a cluster back to a mode without the access-entry API, so it stays. ' +
        'Backup: s3://b/backups/prod/e1/backup.json (version v1). ' +
        `Next: (1) delete the access entries tagged eks-access-pilot/source=migration/e1: run \`aws eks delete-access-entry --cluster-name prod --region eu-west-1 --principal-arn ${arn(1)}\`.`,
    );
  });

  it('puts aws-auth first and the entries after it, with the exact get-object command of the backup version', () => {
    const r = report({
      steps: { ...report().steps, readBackup: notDone('AccessDenied: Access Denied'), readAwsAuth: notDone('not attempted'), writeAwsAuth: notDone('not attempted'), deleteEntries: notDone('kept until aws-auth …') },
      entriesLeft: [arn(1)],
    });

    const [awsAuth, entries, ...rest] = nextActions(r);

    expect(rest).toEqual([]);
    expect(awsAuth).toMatch(/^restore aws-auth from the backup as RUNBOOK\.md section 4 shows: `aws s3api get-object --bucket b --key backups\/prod\/e1\/backup\.json --version-id v1 backup\.json`/);
    expect(entries).toMatch(/^once aws-auth holds the rows of the backup again, delete the access entries tagged eks-access-pilot\/source=migration\/e1: run `aws eks delete-access-entry /);
  });

  it('with the mode unknown, deletes the entries only if the cluster is shown in API_AND_CONFIG_MAP; unlisted, it says how to find them', () => {
    const { cluster: _unknown, ...r } = report({ steps: { ...report().steps, describeCluster: notDone('AccessDeniedException: no'), listEntries: notDone('AccessDeniedException: no'), deleteEntries: notDone('kept: the mode is unknown') } });

    expect(nextActions(r)).toEqual([
      'if `aws eks describe-cluster --name prod --region eu-west-1` shows the cluster ACTIVE in API_AND_CONFIG_MAP (in API keep the entries: they are the only access), ' +
        'delete the access entries tagged eks-access-pilot/source=migration/e1: find them with `eap access-report --cluster prod --region eu-west-1` (OWNER migration/e1) ' +
        'and delete each with `aws eks delete-access-entry --cluster-name prod --region eu-west-1 --principal-arn <arn>`',
    ]);
    expect(incompleteRollbackStory(r)).toContain('Not undone: the authentication mode (unknown: DescribeCluster failed)');
  });

  it('spells out at most 10 commands and counts the rest (a Cause holds 32,768 characters)', () => {
    const left = Array.from({ length: 25 }, (_, i) => arn(i));
    const r = report({ steps: { ...report().steps, deleteEntries: notDone('kept') }, entriesLeft: left });

    const [action] = nextActions(r);

    expect(action!.match(/delete-access-entry/g)).toHaveLength(10);
    expect(action).toMatch(/; and 15 more$/);
  });

  it('says when a transient error is retried by the state machine', () => {
    expect(incompleteRollbackStory(report({ steps: { ...report().steps, writeAwsAuth: notDone('ConcurrentEditError: 409') } }), 'ConcurrentEditError')).toMatch(
      /\(ConcurrentEditError: the state machine retries "Roll back" on it; as the final Cause it means every attempt failed\.\)$/,
    );
  });
});
