// What the sandbox knows of Lambda besides running functions (sandbox/lambda/): each function's
// asynchronous-invocation settings, which decide how often an event is retried and where it goes
// when every attempt failed (Lambda Developer Guide, "Configuring error handling for asynchronous
// invocation" and "Capturing records of Lambda asynchronous invocations": MaximumRetryAttempts
// 0–2, default 2; an on-failure destination receives the invocation record).

export interface AsyncInvokeConfig {
  /** Retries after the first failed attempt (AWS::Lambda::EventInvokeConfig MaximumRetryAttempts). */
  maximumRetryAttempts: number;
  /** The on-failure destination's ARN (an SQS queue here). */
  onFailure?: string;
}

const DEFAULT_CONFIG: AsyncInvokeConfig = { maximumRetryAttempts: 2 };

export class LambdaModel {
  private readonly configs = new Map<string, AsyncInvokeConfig>();

  /** PutFunctionEventInvokeConfig for a function (by ARN, unqualified). */
  putEventInvokeConfig(functionArn: string, config: AsyncInvokeConfig): void {
    this.configs.set(functionArn, { ...config });
  }

  /** The function's settings, or Lambda's defaults (two retries, no destination). */
  eventInvokeConfig(functionArn: string): AsyncInvokeConfig {
    return { ...(this.configs.get(functionArn) ?? DEFAULT_CONFIG) };
  }
}
