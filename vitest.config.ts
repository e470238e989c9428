import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The real-client suite needs the aws and kubectl binaries: `npm run test:clients`.
    exclude: ['test/clients/**', 'node_modules/**'],
    setupFiles: ['test/setup.ts'],
    environment: 'node',
    // Synth and workflow tests are CPU-bound; the CI machine has two cores.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    env: {
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
      POWERTOOLS_DEV: 'false',
      POWERTOOLS_METRICS_NAMESPACE: 'EksAccessPilot',
      CDK_DISABLE_CLI_TELEMETRY: 'true',
      CDK_DISABLE_VERSION_CHECK: 'true',
    },
  },
});
