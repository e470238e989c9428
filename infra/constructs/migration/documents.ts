/**
 * Where the migration keeps its documents: backups, plans, approval requests and reports, in a
 * versioned, encrypted bucket that refuses any write which could overwrite a document, and the
 * bucket that receives its server access logs.
 */
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as cxapi from 'aws-cdk-lib/cx-api';
import type { Construct } from 'constructs';

/** Top-level key prefixes of the bucket (`documentKey` in workflows/contract.ts). */
export type DocumentKind = 'backups' | 'plans' | 'approvals' | 'reports';

/** The key of each kind of document, as the tasks write it: one per execution and cluster. */
export const DOCUMENT_KEYS: Readonly<Record<DocumentKind, string>> = {
  backups: 'backups/<cluster>/<execution>/backup.json',
  plans: 'plans/<cluster>/<execution>/plan.json',
  approvals: 'approvals/<cluster>/<execution>/request.json',
  reports: 'reports/<cluster>/<execution>/report.json',
};

const DEFAULT_RETENTION_DAYS = 365;

export interface MigrationDocumentsProps {
  /**
   * Days a document is kept, and then days a replaced or deleted version is kept.
   * @default 365
   */
  readonly retentionDays?: number;
}

/**
 * The document and access-log buckets, built directly in `scope` (ids `AccessLogs`, `Bucket`),
 * which must have no children yet: the S3 feature flag below is set on it.
 */
export class MigrationDocuments {
  /** Versioned, SSE-S3, write-once: backups, plans, approval requests and reports. */
  public readonly bucket: s3.Bucket;
  /** Receives the bucket's server access logs. */
  public readonly accessLogsBucket: s3.Bucket;

  constructor(scope: Construct, props: MigrationDocumentsProps = {}) {
    const retentionDays = props.retentionDays ?? DEFAULT_RETENTION_DAYS;
    if (!Number.isInteger(retentionDays) || retentionDays < 1) {
      throw new Error(`AuthModeMigration: retentionDays must be a whole number of days, at least 1 (got ${retentionDays})`);
    }

    // Server access logs are delivered under a bucket policy for logging.s3.amazonaws.com, not
    // the legacy log-delivery ACL, so both buckets keep ACLs disabled (BucketOwnerEnforced).
    // The feature flag is set here, before any child exists, rather than app-wide.
    scope.node.setContext(cxapi.S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    this.accessLogsBucket = new s3.Bucket(scope, 'AccessLogs', {
      // Server access logs can only be delivered to a bucket with SSE-S3.
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ id: 'retention', expiration: Duration.days(retentionDays) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason: 'This bucket receives the server access logs of the migration bucket; logging it into itself would log its own log deliveries, and into another bucket would only move the question.',
    });

    // SSE-S3, not a customer key: the documents are access configuration (ARNs, usernames,
    // group names) that anyone with eks:DescribeAccessEntry or the aws-auth ConfigMap can read
    // already; a key would add key-policy coupling for every reader (operators reviewing a
    // plan) without narrowing who can read beyond this bucket's IAM and policy. (An approval
    // request holds a task token, but answering it also takes states:SendTaskSuccess.) Integrity
    // is what matters for a backup, and that comes from versioning and write-once writes.
    this.bucket = new s3.Bucket(scope, 'Bucket', {
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'migration-bucket/',
      lifecycleRules: [
        {
          id: 'retention',
          expiration: Duration.days(retentionDays),
          noncurrentVersionExpiration: Duration.days(retentionDays),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
      // The backups are the only copy of aws-auth as it was: they outlive the stack.
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Backups are never overwritten (docs/architecture.md, "Safety invariants", invariant 5): the
    // code writes with If-None-Match: *, and the bucket refuses any write without it, from anyone,
    // so an overwrite cannot happen through a bug, a copy or a console upload either. The header
    // is the s3:if-none-match condition key (S3 user guide, "Enforce conditional writes").
    // Multipart uploads carry no conditional header on their parts and are refused too; the
    // documents are small JSON.
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'WriteOnceDocuments',
        effect: iam.Effect.DENY,
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects('*')],
        conditions: { Null: { 's3:if-none-match': 'true' } },
      }),
    );
  }

  /** The ARN pattern of every document of `kind`. */
  objectsArn(kind: DocumentKind): string {
    return this.bucket.arnForObjects(`${kind}/*`);
  }
}
