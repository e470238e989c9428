/**
 * `eks-access-pilot invoke FUNCTION EVENT_FILE [--json]`: runs a Lambda handler of this
 * repository locally with an event file — the handler module itself, as deployed (middy,
 * Powertools), with its own module-level SDK clients. Point those at the sandbox with the
 * variables `npm run sandbox` prints, or leave them alone to use real AWS.
 *
 * The function's log lines (Powertools JSON on stdout) go to stderr, so stdout holds only the
 * handler's result as JSON.
 *
 * Exit codes: 0 the handler returned; 1 it threw (the error's name and message are printed), the
 * event file is unreadable, or EAP_CONFIG is missing or invalid; 2 usage error.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Context } from 'aws-lambda';
import { localContext } from '#platform/local-context';
import { parseRuntimeConfig } from '#kernel/config';
import { MIGRATION_SUBSTITUTIONS } from '#workflows/manifest';
import { EXIT, UsageError, type Command, type CommandIO } from '../lib/command.ts';
import { parseCommandArgs, usageError } from '../lib/args.ts';
import { errorText } from '../lib/format.ts';

interface Target {
  /** Repository-relative path of the handler module. */
  entry: string;
  /** True when the module reads EAP_CONFIG at import (provisioner, resync). */
  needsConfig: boolean;
  description: string;
}

/** The functions: the two reconcilers and every migration task the ASL binds (workflow.ts). */
export const FUNCTIONS: Record<string, Target> = {
  provisioner: { entry: 'functions/access/provisioner/handler.ts', needsConfig: true, description: 'reconciles the principal of one IAM CloudTrail event (events/iam/*.json)' },
  resync: { entry: 'functions/access/resync/handler.ts', needsConfig: true, description: 'the scheduled full sweep (any event, e.g. {})' },
  ...Object.fromEntries(
    Object.values(MIGRATION_SUBSTITUTIONS)
      .filter((s) => s.kind === 'function')
      .map((s) => [basename(s.entry, '.ts'), { entry: s.entry, needsConfig: false, description: `migration task "${s.description}"` }]),
  ),
};

const USAGE = 'eks-access-pilot invoke FUNCTION EVENT_FILE';

const REPO_ROOT = new URL('../../', import.meta.url);

function invokeContext(name: string): Context {
  return localContext(`eks-access-pilot-${name}`, { account: '000000000000' });
}

const CONFIG_HELP =
  'EAP_CONFIG is not set. The provisioner and the resync read their configuration from it when their module loads: ' +
  'the JSON {"config": {...}, "systemRoleArns": [...]} that the stack gives the deployed function. ' +
  'Against the sandbox, start `npm run sandbox` in another shell and export the variables it prints (EAP_CONFIG among them); ' +
  'against AWS, copy the value from the deployed function\'s environment.';

type Handler = (event: unknown, context: Context) => Promise<unknown>;

/**
 * Runs the handler with stdout diverted to `io.err`: Powertools writes log lines and metrics
 * there, and stdout must carry only the result. Restored before returning.
 */
async function withLogsOnStderr<T>(io: CommandIO, fn: () => Promise<T>): Promise<T> {
  const write = process.stdout.write;
  let pending = '';
  process.stdout.write = ((chunk: string | Uint8Array) => {
    pending += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const l of lines) io.err(l);
    return true;
  }) as typeof process.stdout.write;
  try {
    return await fn();
  } finally {
    process.stdout.write = write;
    if (pending) io.err(pending);
  }
}

async function run(args: string[], io: CommandIO): Promise<number> {
  let fnName: string;
  let file: string;
  try {
    const { positionals } = parseCommandArgs(args, {}, ['FUNCTION', 'EVENT_FILE']);
    [fnName, file] = positionals as [string, string];
    if (!FUNCTIONS[fnName]) throw new UsageError(`unknown FUNCTION "${fnName}"; one of: ${Object.keys(FUNCTIONS).join(', ')}`);
  } catch (e) {
    if (e instanceof UsageError) return usageError(io, USAGE, e.message);
    throw e;
  }
  const target = FUNCTIONS[fnName]!;

  if (target.needsConfig) {
    if (!process.env.EAP_CONFIG) {
      io.err(CONFIG_HELP);
      return EXIT.failed;
    }
    try {
      // The module would fail the same way at import; checking first names the field plainly.
      parseRuntimeConfig(process.env.EAP_CONFIG);
    } catch (e) {
      io.err((e as Error).message);
      return EXIT.failed;
    }
  }

  let event: unknown;
  try {
    event = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    io.err(`cannot read the event ${file}: ${(e as Error).message}`);
    return EXIT.failed;
  }
  if (!Object.keys(process.env).some((k) => k.startsWith('AWS_ENDPOINT_URL'))) {
    io.err(`note: no AWS_ENDPOINT_URL_* is set: ${fnName} calls real AWS with your credentials`);
  }

  let handler: Handler;
  try {
    ({ handler } = (await import(new URL(target.entry, REPO_ROOT).href)) as { handler: Handler });
  } catch (e) {
    io.err(`cannot load ${target.entry}: ${errorText(e)}`);
    return EXIT.failed;
  }
  try {
    const result = await withLogsOnStderr(io, () => handler(event, invokeContext(fnName)));
    io.out(JSON.stringify(result ?? null, null, 2));
    return EXIT.ok;
  } catch (e) {
    const name = e instanceof Error ? e.name : 'Error';
    io.err(`${fnName} failed: ${name}: ${e instanceof Error ? e.message : String(e)}`);
    return EXIT.failed;
  }
}

export const command: Command = {
  usage: `${USAGE}

FUNCTION:
${Object.entries(FUNCTIONS).map(([n, t]) => `  ${n.padEnd(16)} ${t.description}`).join('\n')}

Prints the handler's result as JSON on stdout; its log lines go to stderr.
provisioner and resync need EAP_CONFIG (\`npm run sandbox\` prints it with the other variables).
The AWS SDK clients follow AWS_ENDPOINT_URL_<SERVICE>: export what \`npm run sandbox\` prints to run
against the sandbox; without them the handler calls real AWS with your default credentials.`,
  run,
};
