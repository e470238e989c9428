// One Lambda execution environment of the sandbox: a worker thread with the function's own
// environment (its role's credentials, its configuration), which loads the handler module once
// (the init phase) and runs one invocation at a time, as Lambda does. Plain JavaScript: it must
// register the TypeScript loader before it can import the handler.
import { parentPort, workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

// The environment's wall clock is the sandbox's (sandbox/clock.ts): real time plus the offset the
// sandbox moves, read from shared memory at every call, so a test that moves the sandbox's clock
// moves the handler's `Date.now()` and `new Date()` with it. Installed before any module loads.
if (workerData.clock) {
  const offset = new BigInt64Array(workerData.clock);
  const RealDate = Date;
  const now = () => RealDate.now() + Number(Atomics.load(offset, 0));
  globalThis.Date = new Proxy(RealDate, {
    construct: (target, args, newTarget) => Reflect.construct(target, args.length ? args : [now()], newTarget),
    apply: () => new RealDate(now()).toString(),
    get: (target, key) => (key === 'now' ? now : Reflect.get(target, key)),
  });
}

register();
await import(new URL('../polyfills.ts', import.meta.url).href);
const { localContext } = await import(new URL('../../functions/platform/local-context.ts', import.meta.url).href);
const { handler } = await import(workerData.entryUrl);

parentPort.on('message', async ({ id, event, requestId }) => {
  try {
    const context = localContext(workerData.functionName, { region: workerData.region, account: workerData.account, requestId, timeoutMs: workerData.timeoutMs });
    const result = await handler(event, context);
    parentPort.postMessage({ id, ok: true, result: result === undefined ? null : JSON.parse(JSON.stringify(result)) });
  } catch (error) {
    const e = error instanceof Error ? error : new Error(String(error));
    parentPort.postMessage({ id, ok: false, error: { name: e.name, message: e.message, stack: e.stack } });
  }
});
parentPort.postMessage({ ready: true });
