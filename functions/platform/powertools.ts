/**
 * The one Logger and Metrics of the system (docs/architecture.md, "Conventions"), and the one way to wrap a handler.
 * Log lines are short lowercase messages with structured fields; events are never logged whole.
 */
import middy from '@middy/core';
import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Context } from 'aws-lambda';

import { METRICS_NAMESPACE, SERVICE_NAME } from '#kernel/service';

export { METRICS_NAMESPACE, SERVICE_NAME };

export const logger = new Logger({ serviceName: SERVICE_NAME });
// Metrics' own warnings go through the Logger: one JSON format, one log level.
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger });

export { MetricUnit };

export interface InstrumentOptions {
  /**
   * Flush metrics after each invocation (default true). Handlers that emit no application
   * metric — the migration's tasks, whose outcome is the execution history — turn it off, or
   * Powertools warns "No application metrics to publish" on every invocation.
   */
  metrics?: boolean;
}

/** Wraps a handler with context injection (state cleared per invocation) and metric flushing. */
export function instrument<E, R>(fn: (event: E, context: Context) => Promise<R>, options: InstrumentOptions = {}) {
  const wrapped = middy(fn).use(injectLambdaContext(logger, { clearState: true }));
  return options.metrics === false ? wrapped : wrapped.use(logMetrics(metrics, { captureColdStartMetric: true }));
}
