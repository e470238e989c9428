/** Helpers for running a real handler: a Lambda context and captured Powertools log lines. */
import type { Context } from 'aws-lambda';
import { vi, type MockInstance } from 'vitest';
import { localContext } from '#platform/local-context';

export function lambdaContext(functionName = 'test-function'): Context {
  return localContext(functionName, { region: 'eu-west-1', requestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678', timeoutMs: 60_000 });
}

export interface CapturedOutput {
  /** Parsed JSON lines written to stdout (Powertools logs and EMF metrics). */
  lines(): Array<Record<string, unknown>>;
  logs(message?: string): Array<Record<string, unknown>>;
  metricNames(): string[];
  restore(): void;
}

/**
 * Powertools writes through its own Console on process.stdout (INFO, metrics) and
 * process.stderr (WARN, ERROR), so a `console` spy would see nothing.
 */
export function captureStdout(): CapturedOutput {
  const chunks: string[] = [];
  const sink = (chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  };
  const spies: MockInstance[] = [
    vi.spyOn(process.stdout, 'write').mockImplementation(sink),
    vi.spyOn(process.stderr, 'write').mockImplementation(sink),
  ];
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l.trim().startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return {
    lines,
    logs: (message) => lines().filter((l) => typeof l.message === 'string' && (!message || l.message === message)),
    metricNames: () =>
      lines().flatMap((l) => {
        const aws = l._aws as { CloudWatchMetrics?: Array<{ Metrics: Array<{ Name: string }> }> } | undefined;
        return aws?.CloudWatchMetrics?.flatMap((m) => m.Metrics.map((x) => x.Name)) ?? [];
      }),
    restore: () => spies.forEach((s) => s.mockRestore()),
  };
}
