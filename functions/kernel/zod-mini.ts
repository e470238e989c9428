/**
 * zod for the schemas on the Lambda functions' import path (config.ts, events.ts): `zod/mini`,
 * zod's small-bundle entry point — the same parser and the same issues as `zod`, with checks
 * passed to `.check(…)` instead of chained methods, so a bundle carries only the checks it
 * uses (classic zod's methods keep every check and its JSON-schema support, ~70 KB). Import as
 * `import * as z from './zod-mini.ts'`.
 *
 * zod/mini registers no locale by itself, and without one every built-in message is a bare
 * "Invalid input"; classic zod registers English on first use. The built-in messages are part
 * of what `formatIssues` shows operators, so English is registered here unless a locale is
 * already set (as classic zod does).
 */
import * as z from 'zod/mini';
import { en } from 'zod/locales';

if (!z.config().localeError) z.config(en());

export * from 'zod/mini';
