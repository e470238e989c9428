// A handler that reports its execution environment's wall clock, for test/sandbox/scheduler.test.ts.
export const handler = async (): Promise<{ now: number; date: number; iso: string }> => ({ now: Date.now(), date: new Date().getTime(), iso: new Date().toISOString() });
