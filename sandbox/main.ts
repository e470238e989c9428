/**
 * `npm run sandbox`: the sandbox as a long-running server, seeded from a file, enforcing the
 * synthesized app's IAM policies, with the provisioner running as its own role behind the sandbox's EventBridge — tag a role through the IAM
 * endpoint and its access entry appears. Prints the `export …` lines that point the AWS SDK,
 * the CLI or a locally run handler at it. Stops on Ctrl-C and prints the calls it served.
 *
 *   npm run sandbox -- [--seed FILE] [--port N]
 */
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stsHost } from '#kernel/partition';
import { EventBridge } from './eventbridge.ts';
import { loadSeed, SANDBOX_TRAIL, startSandbox, type Sandbox } from '#sandbox/server/index';
import { createMigrationStateMachine, mapWorkflowRole } from '#sandbox/stepfunctions/migration';

const DEFAULT_SEED = fileURLToPath(new URL('./seed/default.json', import.meta.url));

function shellQuote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * How to point kubectl at a cluster. `aws eks get-token` presigns its STS URL for whatever
 * AWS_ENDPOINT_URL_STS says (aws-cli 1.45, awscli/customizations/eks/get_token.py: a plain STS
 * client's generate_presigned_url), and the API server, like aws-iam-authenticator, accepts only
 * real STS hosts (sandbox/kubernetes/token.ts). So the kubeconfig's exec plugin gets the regional
 * STS endpoint back, as on AWS; the sandbox verifies that token offline.
 */
function kubectlHints(sandbox: Sandbox, clusters: Array<{ name: string; region: string }>): string[] {
  if (clusters.length === 0) return [];
  return [
    '# kubectl: aws eks update-kubeconfig --name <cluster> --region <region>, then (its token must be presigned for the real STS host, as on AWS):',
    ...clusters.map((c) => {
      const arn = sandbox.model.eks.describeCluster(c.region, { name: c.name }).cluster?.arn ?? c.name;
      return `#   kubectl config set-credentials ${arn} --exec-env=AWS_ENDPOINT_URL_STS=https://${stsHost(c.region)}`;
    }),
  ];
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

  // Every seeded cluster is managed; the seeded BreakGlassAdmin role, if any, is protected. The
  // sandbox synthesizes the app with this configuration and enforces its IAM policies.
  const region = 'eu-west-1';
  const config = {
    homeRegion: region,
    clusters: seed.clusters.map((c) => ({ name: c.name, region: c.region })),
    allowedGroups: ['pod-readers'],
    protectedPrincipalArns: seed.iam.roles
      .filter((r) => r.name === 'BreakGlassAdmin')
      .map((r) => `arn:aws:iam::${seed.accountId ?? '111122223333'}:role${r.path ?? '/'}${r.name}`),
  };
  const sandbox = await startSandbox({ seed, port, region, iam: { config } });
  const env: Record<string, string> = { ...sandbox.env };
  const lambda = sandbox.lambda!;
  // As the README asks of an operator before a first migration: the workflow's role mapped in aws-auth.
  for (const c of seed.clusters.filter((x) => x.authenticationMode === 'CONFIG_MAP')) mapWorkflowRole(sandbox, c.region, c.name);
  const machine = await createMigrationStateMachine(sandbox);
  env.EAP_STATE_MACHINE_ARN = machine.stateMachineArn;
  // The deployed provisioner's configuration, for `eks-access-pilot invoke` run against this sandbox.
  const deployedProvisioner = sandbox.iam!.app.functions.find((f) => f.logicalId.startsWith('TagProvisioningProvisionerFunction'));
  if (deployedProvisioner?.environment.EAP_CONFIG) env.EAP_CONFIG = deployedProvisioner.environment.EAP_CONFIG;
  // The provisioner runs as its own role in the sandbox's Lambda runtime. IAM's calls reach it as
  // in AWS: recorded by the account's trail, matched by the deployed rules (us-east-1, forwarded to
  // the home Region), failures retried and then sent to its on-failure queue.
  const provisioner = lambda.functionFor('functions/access/provisioner/handler.ts');
  const bus = new EventBridge((event, functionArn) => (functionArn ? lambda.invokeArn(functionArn, event) : lambda.invoke(provisioner, event)), { model: sandbox.model });
  bus.connect(sandbox.model.iam);

  process.stdout.write(
    [
      `# eks-access-pilot sandbox on ${sandbox.url}: clusters ${seed.clusters.map((c) => `${c.name} (${c.region}, ${c.authenticationMode})`).join(', ')}`,
      `# IAM calls reach the provisioner through trail ${SANDBOX_TRAIL} and the deployed rules (aws cloudtrail stop-logging --name ${SANDBOX_TRAIL} turns them off); its logs follow below.`,
      `# IAM enforced: each function runs as its role in the synthesized app (${sandbox.iam!.app.roles.size} roles); these exports are the operator's.`,
      `# The migration state machine: ${machine.stateMachineArn} (try: npm run -s cli -- migrate start --cluster demo --region ${sandbox.env.AWS_REGION} --target API --dry-run)`,
      `# Check the deployment, read-only: npm run -s cli -- doctor --region ${region}   (then try: aws cloudtrail stop-logging --name management-events)`,
      '# Export these in another shell:',
      ...Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
      ...kubectlHints(sandbox, seed.clusters),
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
