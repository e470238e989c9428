// The two SDK retry settings (platform/clients.ts): which clients get which, and that each
// setting keeps its own client (a retry strategy holds per-client state: quota, rate limiter).
import { describe, expect, it, vi } from 'vitest';
import { eksClient, iamClient, RETRY, schedulerClient, SWEEP_RETRY } from '#platform/clients';

/** The client's retry mode as resolved: the SDK keeps a string, or a provider of one. */
async function mode(client: { config: { retryMode: unknown } }): Promise<unknown> {
  const m = client.config.retryMode;
  return typeof m === 'function' ? await (m as () => Promise<unknown>)() : m;
}

describe('SDK clients and their retry settings', () => {
  it('retry in standard mode with 8 attempts by default (events, requests)', async () => {
    for (const client of [eksClient('eu-west-1'), iamClient('eu-west-1'), schedulerClient()]) {
      expect(await mode(client)).toBe('standard');
      expect(await client.config.maxAttempts()).toBe(8);
    }
    expect(RETRY).toEqual({ retryMode: 'standard', maxAttempts: 8 });
  });

  it('retry in adaptive mode for the sweep, with a client of their own', async () => {
    const sweep = eksClient('eu-west-1', SWEEP_RETRY);
    expect(await mode(sweep)).toBe('adaptive');
    expect(sweep).not.toBe(eksClient('eu-west-1'));
    expect(eksClient('eu-west-1', SWEEP_RETRY)).toBe(sweep); // once per container
    expect(await mode(iamClient('eu-west-1', SWEEP_RETRY))).toBe('adaptive');
    expect(iamClient('eu-west-1', SWEEP_RETRY)).not.toBe(iamClient('eu-west-1'));
  });

  it('the resync handler builds its clients with SWEEP_RETRY, the provisioner with the default', async () => {
    vi.resetModules();
    const calls: unknown[][] = [];
    vi.doMock('#access/runtime', () => ({ reconcileDepsFromEnv: (...args: unknown[]) => (calls.push(args), {}) }));
    try {
      await import('#access/resync/handler');
      await import('#access/provisioner/handler');
    } finally {
      vi.doUnmock('#access/runtime');
    }
    expect(calls).toHaveLength(2);
    expect(calls[0]![1]).toEqual(SWEEP_RETRY); // a fresh module graph: equal, not the same object
    expect(calls[1]![1]).toBeUndefined();
  });
});
