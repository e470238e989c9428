/**
 * `npm run sandbox`: the sandbox as a long-running server, seeded from a file, with the
 * provisioner running in-process behind the sandbox's EventBridge — tag a role through the IAM
 * endpoint and its access entry appears. Prints the `export …` lines that point the AWS SDK,
 * the CLI or a locally run handler at it. Stops on Ctrl-C and prints the calls it served.
 *
 *   npm run sandbox -- [--seed FILE] [--port N]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { parseConfig, type RuntimeConfig } from '#kernel/config';
import { localContext } from '#platform/local-context';
import { EventBridge } from './eventbridge.ts';
import { loadSeed, startSandbox } from '#sandbox/server/index';
import { createMigrationStateMachine } from '#sandbox/stepfunctions/migration';

const DEFAULT_SEED = fileURLToPath(new URL('./seed/default.json', import.meta.url));

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { seed: { type: 'string' }, port: { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help) {
    process.stdout.write('usage: npm run sandbox -- [--seed FILE] [--port N]\n');
    return;
  }
  const seed = loadSeed(values.seed ?? DEFAULT_SEED);
  const port = values.port === undefined ? 0 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port: expected a port number, got ${values.port}`);

  const sandbox = await startSandbox({ seed, port });
  // Every seeded cluster is managed; the seeded BreakGlassAdmin role, if any, is protected.
  const config = parseConfig({
    homeRegion: sandbox.env.AWS_REGION,
    clusters: seed.clusters.map((c) => ({ name: c.name, region: c.region })),
    allowedGroups: ['pod-readers'],
    protectedPrincipalArns: seed.iam.roles
      .filter((r) => r.name === 'BreakGlassAdmin')
      .map((r) => `arn:aws:iam::${sandbox.model.accountId}:role${r.path ?? '/'}${r.name}`),
  });
  const runtime: RuntimeConfig = { config, systemRoleArns: [] };
  const env: Record<string, string> = { ...sandbox.env, EAP_CONFIG: JSON.stringify(runtime) };
  // The provisioner's SDK clients read these on first use; set them before importing it.
  Object.assign(process.env, env);
  const { handler } = await import('#access/provisioner/handler');
  // The migration state machine, its tasks bound to the real handlers (after process.env is set).
  const machine = await createMigrationStateMachine(sandbox);
  env.EAP_STATE_MACHINE_ARN = machine.stateMachineArn;
  const bus = new EventBridge((event) =>
    handler(event, localContext('eks-access-pilot-provisioner', { region: 'us-east-1', account: sandbox.model.accountId, requestId: event.id })),
  );
  bus.connect(sandbox.model.iam);

  process.stdout.write(
    [
      `# eks-access-pilot sandbox on ${sandbox.url}: clusters ${seed.clusters.map((c) => `${c.name} (${c.region}, ${c.authenticationMode})`).join(', ')}`,
      '# IAM calls reach the provisioner through the rule pattern; its logs follow below.',
      `# The migration state machine: ${machine.stateMachineArn} (try: npm run -s cli -- migrate start --cluster demo --region ${sandbox.env.AWS_REGION} --target API --dry-run)`,
      '# Export these in another shell:',
      ...Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
      '',
    ].join('\n'),
  );

  const stop = async () => {
    await bus.drain();
    await sandbox.stop();
    process.stderr.write(`sandbox stopped. calls served: ${JSON.stringify(sandbox.calls())}; dead letters: ${bus.deadLetters.length}\n`);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((e: unknown) => {
  process.stderr.write(`sandbox: ${(e as Error).message}\n`);
  process.exitCode = 1;
});
