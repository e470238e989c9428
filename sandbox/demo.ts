/**
 * `npm start`: the whole story on the embedded sandbox, narrated. No credentials, no network:
 * every AWS call goes to 127.0.0.1, through the same SDK clients, handlers, state machine and
 * CLI code as in production.
 *
 *   1. a dry run of the migration of cluster `demo` (CONFIG_MAP, realistic aws-auth) → the plan
 *   2. the full run to API, stopping at the approval gate, approved → the execution as a timeline
 *   3. a team tags a role eks-access=view through IAM → the entry appears; edit → it changes;
 *      untag → it goes
 *   4. time-bound access: the role tagged eks-access=view until ~5 s from now → the entry appears
 *      with an EventBridge Scheduler one-time schedule → the schedule fires → the entry goes
 *   5. Identity Center: the permission set PlatformReadOnly tagged eks-access=view → provisioned
 *      into the account → its role gets AmazonEKSViewPolicy → re-provisioned (new role ID) → the
 *      entry follows the new ID
 *   6. the access report of the cluster, and what the demo cost in API calls
 */
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { IAMClient, TagRoleCommand, UntagRoleCommand } from '@aws-sdk/client-iam';
import { CreateAccountAssignmentCommand, ProvisionPermissionSetCommand, SSOAdminClient, TagResourceCommand } from '@aws-sdk/client-sso-admin';
import { PRINCIPAL_ID_KEY } from '#kernel/ownership';
import { EventBridge } from './eventbridge.ts';
import { IDENTITY_CENTER_READ_ROLE, loadSeed, startSandbox } from '#sandbox/server/index';
import { createMigrationStateMachine, mapWorkflowRole } from '#sandbox/stepfunctions/migration';

const SEED = fileURLToPath(new URL('./seed/default.json', import.meta.url));
const CLUSTER = 'demo';
const TEAM_ROLE = 'data-pipeline';
const DRY_RUN = 'demo-dry-run';
const TO_API = 'demo-to-api';
/** The demo's Identity Center: its instance (fixed, so the configuration can name it), a permission set, a group. */
const IC_INSTANCE_ARN = 'arn:aws:sso:::instance/ssoins-6804ca6f25ab3e1d';
const PERMISSION_SET = 'PlatformReadOnly';
const PLATFORM_GROUP = '9067a4b2c1-5f3e8d20-7b1a-4c6e-9d2f-0a8b7c6d5e4f';
/**
 * Step 4, time-bound access (issue 13). On by default; it fails the demo (exit 1) when the entry is
 * not revoked within EXPIRY_GRACE_MS of its expiry.
 */
const DEMO_EXPIRY_STEP = true;
/** How far ahead the step's expiry is, and how long after it the revocation may take. */
const EXPIRY_AHEAD_MS = 5_000;
const EXPIRY_GRACE_MS = 20_000;
/** Header lines fill this width: they fit an 80-column terminal. */
const HEADER_WIDTH = 76;

const out = (line = '') => process.stdout.write(`${line}\n`);
// The title is never shortened; the rule after it is, down to two characters, so a long title
// still reads as a whole header rather than a line cut off.
const step = (n: number, title: string) => {
  const head = `━━ ${n}. ${title} `;
  out(`\n${head}${'━'.repeat(Math.max(2, HEADER_WIDTH - head.length))}`);
};
const say = (line: string) => out(`   ${line}`);
/** A command line as a POSIX shell reads it back: arguments with spaces or quotes are single-quoted. */
const shellLine = (argv: readonly string[]) => argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`)).join(' ');

async function main(): Promise<void> {
  const started = performance.now();
  const region = 'eu-west-1';
  // The account's Identity Center (in the home Region) with one untagged permission set; the
  // sandbox creates the read role the functions assume to read it (IDENTITY_CENTER_READ_ROLE).
  const seed = { ...loadSeed(SEED), identityCenter: { instanceArn: IC_INSTANCE_ARN, instanceRegion: region, permissionSets: [{ name: PERMISSION_SET }] } };
  // The app's configuration for this account: the sandbox synthesizes the CDK app with it and
  // enforces the resulting IAM policies on every call the functions and the state machine make.
  const account = seed.accountId ?? '111122223333';
  const base = {
    homeRegion: region,
    clusters: seed.clusters.map((c) => ({ name: c.name, region: c.region })),
    allowedGroups: ['pod-readers'],
    protectedPrincipalArns: [`arn:aws:iam::${account}:role/admin/BreakGlassAdmin`],
  };
  const identityCenter = { instanceArn: IC_INSTANCE_ARN, region, readRoleArn: `arn:aws:iam::${account}:role/${IDENTITY_CENTER_READ_ROLE}` };
  const config = { ...base, identityCenter };
  const sandbox = await startSandbox({ seed, region, iam: { config } });
  // The CLI below runs as the operator (the sandbox's own key); the functions run as their roles.
  // Their JSON logs and metrics would drown the story; the tests read them instead.
  Object.assign(process.env, sandbox.env, { POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true' });
  const { main: cli } = await import('../cli/main.ts');
  const lambda = sandbox.lambda!;
  const provisioner = lambda.functionFor('functions/access/provisioner/handler.ts');
  // Before the first migration the operator maps the workflow's role in aws-auth (README, Operator section).
  mapWorkflowRole(sandbox, region, CLUSTER);
  const machine = await createMigrationStateMachine(sandbox);
  // What an operator exports from the stack's outputs (RUNBOOK.md).
  process.env.EAP_STATE_MACHINE_ARN = machine.stateMachineArn;
  // IAM's calls reach the provisioner as in AWS: the trail records them, the deployed rules match them.
  const bus = new EventBridge((event, functionArn) => (functionArn ? lambda.invokeArn(functionArn, event) : lambda.invoke(provisioner, event)), { model: sandbox.model });
  bus.connect(sandbox.model.iam);
  const sfn = new SFNClient({ region });
  const s3 = new S3Client({ region });
  const iam = new IAMClient({ region: 'us-east-1' });
  const ssoAdmin = new SSOAdminClient({ region });

  const run = async (...args: string[]): Promise<string> => {
    const lines: string[] = [];
    const errors: string[] = [];
    const code = await cli(args, { out: (l) => lines.push(l), err: (l) => errors.push(l) });
    if (code !== 0) throw new Error(`eks-access-pilot ${args.join(' ')} exited ${code}:\n${[...lines, ...errors].join('\n')}`);
    return lines.join('\n');
  };
  const show = (text: string) => text.split('\n').forEach((l) => say(`  ${l}`));
  // Prints the command, built from the very arguments it runs with, so that it can be copied.
  const shown = async (...args: string[]): Promise<string> => {
    say(`$ eks-access-pilot ${shellLine(args)}`);
    return run(...args);
  };
  const settle = async (executionArn: string, until: (status: string, waiting: boolean) => boolean) => {
    for (let i = 0; i < 400; i++) {
      const status = JSON.parse(await run('migrate', 'status', executionArn, '--json')) as { status: string; waitingForApproval?: boolean };
      if (until(status.status, Boolean(status.waitingForApproval))) return status;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`execution ${executionArn} did not settle`);
  };

  try {
    out('eks-access-pilot demo — an embedded AWS on 127.0.0.1, no credentials, no network');
    say(`sandbox ${sandbox.url}; account ${account}; clusters: ${seed.clusters.map((c) => `${c.name} (${c.region}, ${c.authenticationMode})`).join(', ')}`);
    say(`state machine ${machine.stateMachineArn}`);
    say('exported as EAP_STATE_MACHINE_ARN, as an operator does (RUNBOOK): the commands below find executions by name through it');
    say(`IAM enforced: every call is checked against the synthesized app's policies (${sandbox.iam!.app.roles.size} roles); each function runs as its own role`);
    const awsAuth = sandbox.model.kubernetes(region, CLUSTER).configMap('kube-system', 'aws-auth');
    say(`cluster ${CLUSTER} authenticates with aws-auth (${Object.keys(awsAuth?.data ?? {}).join(', ')}): node group, Fargate, a break-glass admin, a team with a custom group`);

    step(1, 'Dry run: back up aws-auth, plan the conversion, change nothing');
    const dry = await shown('migrate', 'start', '--cluster', CLUSTER, '--region', region, '--target', 'API', '--dry-run', '--name', DRY_RUN);
    show(dry);
    await settle(dry, (s) => s !== 'RUNNING');
    const { output } = await sfn.send(new DescribeExecutionCommand({ executionArn: dry }));
    const plan = await readPlan(s3, JSON.parse(output ?? '{}'));
    say(`plan: ${plan.rows.length} rows, ${plan.blockers.length} blockers`);
    for (const r of plan.rows) say(`  ${r.source.padEnd(12)} ${r.action.padEnd(11)} ${(r.entry?.type ?? '').padEnd(14)} ${r.principalArn}`);
    say(`the cluster is still ${sandbox.model.eks.describeCluster(region, { name: CLUSTER }).cluster!.accessConfig!.authenticationMode}`);

    step(2, 'Full run to API, through the approval gate');
    const full = await shown('migrate', 'start', '--cluster', CLUSTER, '--region', region, '--target', 'API', '--name', TO_API);
    show(full);
    await settle(full, (s, waiting) => waiting || s !== 'RUNNING');
    say(`waiting for approval; mode now ${sandbox.model.eks.describeCluster(region, { name: CLUSTER }).cluster!.accessConfig!.authenticationMode}`);
    show(await shown('migrate', 'approve', TO_API, '--by', 'demo-operator'));
    const done = await settle(full, (s) => s !== 'RUNNING');
    say(`execution ${done.status}; mode now ${sandbox.model.eks.describeCluster(region, { name: CLUSTER }).cluster!.accessConfig!.authenticationMode}`);
    show(await shown('migrate', 'history', TO_API));

    step(3, `Tag-driven access: a team tags its role ${TEAM_ROLE}`);
    say(`the tags apply to every cluster this deployment manages (${config.clusters.map((c) => c.name).join(', ')}); shown: the role's entry on ${CLUSTER}`);
    say('the provisioner reacts to IAM\'s events; each change below is the SDK call of the aws command printed');
    const roleArn = `arn:aws:iam::${account}:role/teams/data/${TEAM_ROLE}`;
    const entryOf = async (arn = roleArn) => {
      const report = JSON.parse(await run('access-report', '--cluster', CLUSTER, '--region', region, '--json')) as {
        entries: Array<{ principalArn: string; policies: Array<{ policyArn: string; accessScope: { type: string; namespaces?: string[] } }>; owner: string; source?: string }>;
      };
      const e = report.entries.find((x) => x.principalArn === arn);
      return e ? `${e.policies.map((p) => `${p.policyArn.split('/').pop()} (${p.accessScope.type}${p.accessScope.namespaces ? `: ${p.accessScope.namespaces.join(', ')}` : ''})`).join(', ')}; owner ${e.owner}${e.source ? `/${e.source}` : ''}` : 'no entry';
    };
    const tag = async (tags: Record<string, string>, note = '') => {
      const Tags = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
      say(`$ aws iam tag-role --role-name ${TEAM_ROLE} --tags ${shellLine(Tags.map((t) => `Key=${t.Key},Value=${t.Value}`))}`);
      await iam.send(new TagRoleCommand({ RoleName: TEAM_ROLE, Tags }));
      await bus.drain();
      say(`  → ${CLUSTER}: ${await entryOf()}${note}`);
    };
    say(`before, on ${CLUSTER}: ${await entryOf()}`);
    await tag({ 'eks-access': 'view' });
    await tag({ 'eks-access': 'edit', 'eks-access-namespaces': 'data etl' });
    await tag({ 'eks-access': 'cluster-admin' }, ' (rejected: above the ceiling "edit"; unchanged)');
    const untagged = ['eks-access', 'eks-access-namespaces'];
    say(`$ aws iam untag-role --role-name ${TEAM_ROLE} --tag-keys ${shellLine(untagged)}`);
    await iam.send(new UntagRoleCommand({ RoleName: TEAM_ROLE, TagKeys: untagged }));
    await bus.drain();
    say(`  → ${CLUSTER}: ${await entryOf()}`);
    // The rule's filter (README, "How it works"): a call that cannot change access wakes nothing.
    const matchedBefore = bus.stats().matched;
    say(`$ aws iam tag-role --role-name ${TEAM_ROLE} --tags Key=cost-center,Value=cc-4120`);
    await iam.send(new TagRoleCommand({ RoleName: TEAM_ROLE, Tags: [{ Key: 'cost-center', Value: 'cc-4120' }] }));
    await bus.drain();
    if (bus.stats().matched !== matchedBefore) throw new Error('a TagRole of cost-center reached the provisioner: the rule should filter it');
    say('  → filtered by the rule: no access tag key, so EventBridge did not invoke the provisioner');

    if (DEMO_EXPIRY_STEP) {
      step(4, 'Time-bound access: eks-access-expires revokes on time');
      // To the second, UTC: the tag's form (README, tag contract).
      const expiresAt = Math.ceil((sandbox.clock.nowMs() + EXPIRY_AHEAD_MS) / 1000) * 1000;
      const expires = `${new Date(expiresAt).toISOString().slice(0, 19)}Z`;
      await tag({ 'eks-access': 'view', 'eks-access-expires': expires });
      const schedules = sandbox.scheduler.all().filter((x) => (JSON.parse(x.target.Input ?? '{}') as { principalArn?: string }).principalArn === roleArn);
      if (schedules.length !== 1) throw new Error(`expected one expiry schedule for ${TEAM_ROLE}, found ${schedules.length}`);
      const [schedule] = schedules;
      say(`  EventBridge Scheduler: ${schedule!.groupName}/${schedule!.name} ${schedule!.scheduleExpression} UTC → ${schedule!.target.Arn?.split(':').pop()}, then deleted`);
      say(`  waiting for ${expires} (no IAM call, no event: the schedule invokes the provisioner)…`);
      const eventsBefore = bus.stats().put;
      const hasEntry = () => (sandbox.model.eks.listAccessEntries(region, { clusterName: CLUSTER }).accessEntries ?? []).includes(roleArn);
      while (hasEntry()) {
        if (sandbox.clock.nowMs() > expiresAt + EXPIRY_GRACE_MS) throw new Error(`${TEAM_ROLE}'s entry on ${CLUSTER} was not revoked within ${EXPIRY_GRACE_MS / 1000} s of its expiry ${expires}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const delay = sandbox.clock.nowMs() - expiresAt;
      await sandbox.scheduler.drain();
      const left = sandbox.scheduler.all().filter((x) => x.name === schedule!.name).length;
      say(`  → ${CLUSTER}: ${await entryOf()}; revoked ${(delay / 1000).toFixed(1)} s after the expiry (AWS: within the minute); IAM events meanwhile: ${bus.stats().put - eventsBefore}; schedule ${left ? 'still there' : 'deleted'}`);
      if (left) throw new Error(`the expiry schedule ${schedule!.name} was not deleted after it fired`);
    }

    step(5, `Identity Center: the permission set ${PERMISSION_SET} tagged eks-access=view`);
    say('the roles Identity Center creates cannot be tagged; their permission set carries the tag contract instead');
    const instance = sandbox.identityCenter.instance!;
    const psArn = sandbox.identityCenter.permissionSetArn(PERMISSION_SET);
    say(`INSTANCE=${instance.instanceArn}; PS=${psArn}`);
    say(`$ aws sso-admin tag-resource --instance-arn "$INSTANCE" --resource-arn "$PS" --tags Key=eks-access,Value=view`);
    await ssoAdmin.send(new TagResourceCommand({ InstanceArn: instance.instanceArn, ResourceArn: psArn, Tags: [{ Key: 'eks-access', Value: 'view' }] }));
    say('  → no event in this account (the call is Identity Center\'s, in the account that administers it): nothing happens until a role appears');
    say(`$ aws sso-admin create-account-assignment --instance-arn "$INSTANCE" --permission-set-arn "$PS" --target-type AWS_ACCOUNT --target-id ${account} --principal-type GROUP --principal-id ${PLATFORM_GROUP}`);
    await ssoAdmin.send(
      new CreateAccountAssignmentCommand({ InstanceArn: instance.instanceArn, PermissionSetArn: psArn, TargetType: 'AWS_ACCOUNT', TargetId: account, PrincipalType: 'GROUP', PrincipalId: PLATFORM_GROUP }),
    );
    await bus.drain();
    const provisioned = sandbox.identityCenter.role(PERMISSION_SET)!;
    say(`  Identity Center provisioned ${PERMISSION_SET}: IAM CreateRole ${provisioned.path}${provisioned.roleName} (role ID ${provisioned.roleId}), made by sso.amazonaws.com`);
    const boundId = () => {
      const entries = sandbox.model.eks.listAccessEntries(region, { clusterName: CLUSTER }).accessEntries ?? [];
      if (!entries.includes(provisioned.arn)) return undefined;
      return sandbox.model.eks.describeAccessEntry(region, { clusterName: CLUSTER, principalArn: provisioned.arn }).accessEntry?.tags?.[PRINCIPAL_ID_KEY];
    };
    if (boundId() === undefined) throw new Error(`the provisioner made no entry for ${provisioned.roleName} on ${CLUSTER}`);
    say(`  → ${CLUSTER}: ${await entryOf(provisioned.arn)}; bound to role ID ${boundId()}`);
    say(`$ aws sso-admin provision-permission-set --instance-arn "$INSTANCE" --permission-set-arn "$PS" --target-type AWS_ACCOUNT --target-id ${account}`);
    await ssoAdmin.send(new ProvisionPermissionSetCommand({ InstanceArn: instance.instanceArn, PermissionSetArn: psArn, TargetType: 'AWS_ACCOUNT', TargetId: account }));
    await bus.drain();
    const again = sandbox.identityCenter.role(PERMISSION_SET)!;
    say(`  re-provisioned: Identity Center re-created the role, same name, new role ID ${again.roleId} (DeleteRole + CreateRole)`);
    if (boundId() !== again.roleId) throw new Error(`after re-provisioning, the entry is bound to ${boundId() ?? 'nothing'}, not the new role ID ${again.roleId}`);
    say(`  → ${CLUSTER}: ${await entryOf(provisioned.arn)}; the entry follows the new role ID`);

    step(6, `Who has access to ${CLUSTER} now`);
    show(await shown('access-report', '--cluster', CLUSTER, '--region', region));

    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const calls = Object.entries(sandbox.calls())
      .map(([service, ops]) => `${service} ${Object.values(ops).reduce((a, b) => a + b, 0)}`)
      .join(', ');
    out();
    say(`done in ${seconds} s; AWS API calls served by the sandbox, per service: ${calls}; dead letters: ${bus.deadLetters.length}`);
    for (const d of bus.deadLetters) say(`dead letter: ${String(d.event.detail.eventName)} → ${d.error.name}: ${d.error.message}`);
    if (bus.deadLetters.length) process.exitCode = 1;
  } finally {
    for (const c of [sfn, s3, iam, ssoAdmin]) c.destroy();
    await bus.drain();
    await sandbox.stop();
  }
}

interface PlanDoc {
  rows: Array<{ source: string; action: string; principalArn: string; entry?: { type?: string } }>;
  blockers: string[];
}

/** The plan document the dry run wrote to S3 (its location is in the execution output). */
async function readPlan(s3: S3Client, output: unknown): Promise<PlanDoc> {
  const text = JSON.stringify(output);
  const m = /s3:\/\/([^/"]+)\/(plans\/[^"\s]+?\.json)/.exec(text);
  if (!m) throw new Error(`no plan location in the dry run's output: ${text}`);
  const body = await (await s3.send(new GetObjectCommand({ Bucket: m[1]!, Key: m[2]! }))).Body!.transformToString();
  const doc = JSON.parse(body) as { plan?: PlanDoc } & Partial<PlanDoc>;
  return doc.plan ?? (doc as PlanDoc);
}

main().catch((e: unknown) => {
  process.stderr.write(`demo failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
