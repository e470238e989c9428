// Shared vitest setup: SDK mock matchers, and the polyfill the offline Step Functions runner
// needs on Node 20 (shared with the sandbox and the benchmarks).
import { expect } from 'vitest';
import { allCustomMatcher } from 'aws-sdk-client-mock-vitest';
import '#sandbox/polyfills';

expect.extend(allCustomMatcher);
