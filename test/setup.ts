// Shared vitest setup: SDK mock matchers, the polyfill the offline Step Functions runner
// needs on Node 20 (shared with the sandbox and the benchmarks), and per-test capture of
// what the code under test writes to stdout/stderr (Powertools log lines).
import { beforeEach, expect } from 'vitest';
import { allCustomMatcher } from 'aws-sdk-client-mock-vitest';
import '#sandbox/polyfills';

expect.extend(allCustomMatcher);

/*
 * Powertools Logger writes JSON lines with its own Console on process.stdout (INFO, DEBUG,
 * metrics) and process.stderr (WARN, ERROR), so vitest's console interception never sees
 * them and they would be piped straight into the run's output. While a test runs we buffer
 * every write to either stream and hand the buffer to vitest's console only if the test
 * fails; passing tests print nothing.
 *
 * The streams are patched by plain assignment rather than vi.spyOn so that
 * vi.restoreAllMocks() and `restoreMocks` cannot remove the capture, and so that a test's own
 * vi.spyOn(process.stdout, 'write') (test/helpers/lambda.ts) simply stacks on top: a spy with
 * mockImplementation sees every line and the buffer sees none, a pass-through spy sees every
 * call and the buffer still gets the text. Vitest's reporter lives in the main process and
 * workers talk to it over IPC, so nothing it prints goes through these functions.
 */
type StreamName = 'stdout' | 'stderr';
interface Chunk {
  stream: StreamName;
  text: string;
}
interface CaptureState {
  /** The chunks written during the running test; undefined outside a test, when writes pass through. */
  chunks: Chunk[] | undefined;
}

// One patch per worker process: setup files run again for every test file, possibly in the same worker,
// and each run gets fresh module state, so the state the patch reads lives on globalThis.
const STATE_KEY = Symbol.for('eks-access-pilot.test.captured-output');
const globals = globalThis as { [STATE_KEY]?: CaptureState };
const capture: CaptureState = (globals[STATE_KEY] ??= installCapture());

function installCapture(): CaptureState {
  const state: CaptureState = { chunks: undefined };
  for (const name of ['stdout', 'stderr'] as const) {
    const stream = process[name];
    const original = stream.write;
    stream.write = function write(...args: unknown[]): boolean {
      if (!state.chunks) return Reflect.apply(original, stream, args) as boolean;
      const [chunk, encodingOrCallback, callback] = args as [string | Uint8Array, unknown, unknown];
      state.chunks.push({ stream: name, text: typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8') });
      // A real write calls back asynchronously; Node's Console relies on that for its error handling.
      const done = typeof encodingOrCallback === 'function' ? encodingOrCallback : callback;
      if (typeof done === 'function') process.nextTick(done as () => void);
      return true;
    } as typeof stream.write;
  }
  return state;
}

// Bound now so that a test which stubs console.log or console.error cannot hide the replay.
const replay: Record<StreamName, (text: string) => void> = {
  stdout: console.log.bind(console),
  stderr: console.error.bind(console),
};

beforeEach((context) => {
  const chunks: Chunk[] = [];
  capture.chunks = chunks;
  // Registered before anything the test registers, so it runs after the test's own
  // onTestFinished handlers (they run in reverse order) and still captures what they log.
  context.onTestFinished(() => {
    if (capture.chunks === chunks) capture.chunks = undefined;
  });
  // Runs after afterEach and onTestFinished, while the test is still vitest's current task, so
  // the reporter prints the lines under the failed test's name ("stdout | file > test").
  context.onTestFailed(async () => {
    for (const { stream, text } of coalesce(chunks)) {
      replay[stream](text.replace(/\n$/, ''));
      // Vitest batches a task's console output per microtask and sends stdout and stderr as
      // two blocks; yielding lets each run go out on its own, so WARN and ERROR lines keep
      // their place among the INFO lines.
      await Promise.resolve();
    }
  });
});

/** Joins consecutive chunks of the same stream, keeping the order across the two streams. */
function coalesce(chunks: Chunk[]): Chunk[] {
  const runs: Chunk[] = [];
  for (const chunk of chunks) {
    const last = runs.at(-1);
    if (last?.stream === chunk.stream) last.text += chunk.text;
    else runs.push({ ...chunk });
  }
  return runs;
}
