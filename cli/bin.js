#!/usr/bin/env node
// Installed entry point of the eks-access-pilot command: registers tsx so the
// TypeScript sources run as they are, then hands over to cli/main.ts.
import { register } from 'tsx/esm/api';
import { fileURLToPath } from 'node:url';

register();
const { runCli } = await import(fileURLToPath(new URL('./main.ts', import.meta.url)));
await runCli();
