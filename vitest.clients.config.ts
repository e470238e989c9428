// `npm run test:clients`: the README's and the RUNBOOK's procedures driven with the real `aws` and
// `kubectl` binaries against a sandbox each test file starts. Separate from `npm test` because it
// needs those binaries on PATH (`.ci/run` installs them when missing).
import { defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default defineConfig({ ...base, test: { ...base.test, include: ['test/clients/**/*.test.ts'], exclude: ['node_modules/**'] } });
