/**
 * The synth-time side of the configuration (docs/architecture.md, "Configuration"): the
 * `eksAccessPilot` context object is parsed with the same schema the functions use at cold
 * start, so a wrong value stops `cdk synth` with the field named
 * (`eksAccessPilot.clusters[0].region: …`) instead of deploying something that fails later.
 */
import type { Construct } from 'constructs';
import { parseConfig, type Config } from '#kernel/config';

/** The context key in cdk.json (or `-c eksAccessPilot=…`). */
export const CONTEXT_KEY = 'eksAccessPilot';

/**
 * Reads and validates the configuration from the construct tree's context.
 * @throws ConfigError naming every bad field, or saying the context object is missing.
 */
export function loadConfig(scope: Construct): Config {
  let raw: unknown = scope.node.tryGetContext(CONTEXT_KEY);
  // `cdk synth -c eksAccessPilot='{…}'` hands the object over as a JSON string.
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch {
      // Left as a string: the schema then reports that an object was expected.
    }
  }
  return parseConfig(raw, CONTEXT_KEY);
}
