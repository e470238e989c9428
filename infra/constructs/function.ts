/**
 * The house construct for every Lambda of eks-access-pilot (docs/architecture.md, "Layout"):
 * one place that decides runtime, architecture, tracing, logging and bundling, so functions
 * differ only in what they do. The esbuild options live here too and `infra/build.ts` bundles with the
 * same ones, so what `npm run build` measures is what `cdk deploy` ships.
 */
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RemovalPolicy, Validations, type Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** Repository root, from this file's location: synth and build work from any directory. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** `functions/access/<name>/handler.ts` (the tag side's functions: provisioner, resync), absolute. */
export function handlerEntry(name: string): string {
  return fileURLToPath(new URL(`../../functions/access/${name}/handler.ts`, import.meta.url));
}

/**
 * A source file given relative to the repository root (`functions/migration/tasks/plan.ts`), made
 * absolute from this file's location. Refuses paths that leave the repository.
 */
export function repoEntry(relativePath: string): string {
  if (isAbsolute(relativePath) || relativePath.split(/[\\/]/).includes('..')) {
    throw new Error(`function entry ${relativePath} must be a path inside the repository, relative to its root`);
  }
  return fileURLToPath(new URL(`../../${relativePath}`, import.meta.url));
}

/** Powertools service name and metrics namespace, shared by every function. */
export { METRICS_NAMESPACE, SERVICE_NAME } from '#kernel/service';
import { METRICS_NAMESPACE, SERVICE_NAME } from '#kernel/service';

/**
 * The one set of esbuild options, in esbuild's own vocabulary (infra/build.ts passes it to
 * esbuild directly; `cdkBundling` maps it onto NodejsFunction's names).
 *  - ESM output needs a real `require` for CommonJS dependencies that call it at run time
 *    (the `yaml` package does), hence the createRequire banner.
 *  - keepNames: the typed errors are matched by `name` (Step Functions ErrorEquals, logs).
 *  - The AWS SDK is bundled, not taken from the runtime, so Lambda runs the exact pinned
 *    client versions the tests ran against.
 */
export const ESBUILD_OPTIONS = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  keepNames: true,
  sourcemap: true,
  sourcesContent: false,
  mainFields: ['module', 'main'],
  external: [] as string[],
  banner: {
    js: "import { createRequire as __eapCreateRequire } from 'node:module'; const require = __eapCreateRequire(import.meta.url);",
  },
} as const;

/** ESBUILD_OPTIONS in NodejsFunction's terms. */
export function cdkBundling(): NonNullable<ConstructorParameters<typeof NodejsFunction>[2]>['bundling'] {
  return {
    format: OutputFormat.ESM,
    target: ESBUILD_OPTIONS.target,
    minify: ESBUILD_OPTIONS.minify,
    keepNames: ESBUILD_OPTIONS.keepNames,
    sourceMap: ESBUILD_OPTIONS.sourcemap,
    sourceMapMode: SourceMapMode.DEFAULT,
    sourcesContent: ESBUILD_OPTIONS.sourcesContent,
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    externalModules: [...ESBUILD_OPTIONS.external],
    bundleAwsSDK: true,
    banner: ESBUILD_OPTIONS.banner.js,
  };
}

export interface HouseFunctionProps {
  /** Folder under functions/ holding handler.ts (exporting `handler`); with `entry`, only a name. */
  readonly name: string;
  /**
   * The source file exporting `handler`, relative to the repository root, for functions that
   * do not live in `functions/<name>/handler.ts` (the migration's tasks share one folder).
   * @default functions/<name>/handler.ts
   */
  readonly entry?: string;
  /**
   * A role shared with other functions, for functions that must act as one identity (the
   * migration's Kubernetes API callers: the cluster admits an IAM principal, not a function).
   * The house still grants it this function's log group and X-Ray.
   * @default a role of its own
   */
  readonly role?: iam.Role;
  /**
   * A fixed name for the function's own role (not with `role`), for roles another stack must
   * name without a cross-stack reference.
   * @default a name CloudFormation generates
   */
  readonly roleName?: string;
  /**
   * A fixed function name, for a function whose own environment must carry its ARN (a reference
   * to its own `Arn` attribute would be a circular dependency in CloudFormation).
   * @default a name CloudFormation generates
   */
  readonly functionName?: string;
  readonly description: string;
  readonly timeout: Duration;
  /** @default 512 — the reconcile is I/O-bound; more memory mostly buys faster cold starts. */
  readonly memorySize?: number;
  /** Merged over the house variables; a key set by the house cannot be replaced. */
  readonly environment?: Record<string, string>;
  /** @default one month */
  readonly logRetention?: logs.RetentionDays;
  /** Async invocation settings (EventBridge and schedules invoke asynchronously). */
  readonly retryAttempts?: number;
  readonly maxEventAge?: Duration;
  readonly onFailure?: lambda.IDestination;
}

/** A Lambda function the house way: Node 24 on ARM, X-Ray, its own log group and role. */
export class HouseFunction extends Construct {
  public readonly function: NodejsFunction;
  public readonly role: iam.Role;
  public readonly logGroup: logs.LogGroup;
  private readonly envKeys = new Set<string>();

  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    super(scope, id);

    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      // Logs outlive a stack deletion: they are the record of which access was granted.
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // An own role instead of the default one: the default attaches the AWS managed
    // AWSLambdaBasicExecutionRole (logs on every group in the account, cdk-nag IAM4);
    // this role may write to its own log group only.
    if (props.role && props.roleName) throw new Error(`HouseFunction ${props.name}: roleName names the function's own role; it cannot rename a shared role`);
    this.role =
      props.role ??
      new iam.Role(this, 'Role', {
        roleName: props.roleName,
        assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
        description: `eks-access-pilot ${props.name} function`,
      });

    const house: Record<string, string> = {
      POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
      POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      // Stack traces point at the TypeScript source (the bundle carries its source map).
      NODE_OPTIONS: '--enable-source-maps',
    };
    for (const key of Object.keys(props.environment ?? {})) {
      if (key in house) throw new Error(`HouseFunction ${props.name}: environment variable ${key} is set by the house construct`);
    }

    this.function = new NodejsFunction(this, 'Function', {
      entry: props.entry === undefined ? handlerEntry(props.name) : repoEntry(props.entry),
      handler: 'handler',
      functionName: props.functionName,
      projectRoot: REPO_ROOT,
      depsLockFilePath: fileURLToPath(new URL('../../package-lock.json', import.meta.url)),
      description: props.description,
      // nodejs24.x: the newest Node runtime in aws-cdk-lib 2.276 (cdk-nag L1 flags older ones).
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      tracing: lambda.Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      environment: { ...props.environment, ...house },
      bundling: cdkBundling(),
      retryAttempts: props.retryAttempts,
      maxEventAge: props.maxEventAge,
      onFailure: props.onFailure,
    });
    this.logGroup.grantWrite(this.role);
    Validations.of(this.role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason: 'Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions ("*" is the only form).',
    });
    if (props.onFailure) {
      Validations.of(this.function).acknowledge({
        id: 'Serverless-LambdaDLQ',
        reason: 'Failed async invocations go to an on-failure destination (SQS), which supersedes the legacy DLQ and also records the error and the request.',
      });
    }
    for (const key of [...Object.keys(house), ...Object.keys(props.environment ?? {})]) this.envKeys.add(key);
  }

  /** Adds an environment variable; refuses to replace one that is already set. */
  addEnvironment(key: string, value: string): this {
    if (this.envKeys.has(key)) throw new Error(`environment variable ${key} is already set on ${this.node.path}`);
    this.envKeys.add(key);
    this.function.addEnvironment(key, value);
    return this;
  }

  /** Grants `grant` to the function's role and exposes `value` as `key`: one call, both halves. */
  bind(key: string, value: string, grant: (grantee: iam.IGrantable) => unknown): this {
    grant(this.role);
    return this.addEnvironment(key, value);
  }
}
