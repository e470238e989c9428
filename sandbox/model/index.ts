// One model of AWS for tests and the sandbox: IAM and EKS wired so EKS sees IAM's principals;
// S3; the Kubernetes API server of each cluster, which authenticates and authorizes callers by the
// cluster's EKS state; the callers' identities (what STS GetCallerIdentity answers for an access
// key); and what carries IAM's events to the app and records its failures — CloudTrail's trails,
// EventBridge's rules, the SQS queues, Lambda's async-invoke settings — with the CloudFormation
// stacks that deployed them; IAM Identity Center, whose provisioning creates roles in this IAM;
// and EventBridge Scheduler, whose one-time schedules fire on the sandbox's clock.
import { CloudFormationModel } from './cloudformation.ts';
import { CloudTrailModel } from './cloudtrail.ts';
import { EksModel, type EksModelOptions } from './eks.ts';
import { EventsModel } from './events.ts';
import { DEFAULT_ACCOUNT_ID, IamModel } from './iam.ts';
import { IdentityCenterModel } from './identity-center.ts';
import type { AccessEntryView } from '#sandbox/kubernetes/authn';
import { KubernetesModel } from './kubernetes.ts';
import { LambdaModel } from './lambda.ts';
import { S3Model } from './s3.ts';
import { SchedulerModel } from './scheduler.ts';
import { SandboxClock } from '#sandbox/clock';
import { SqsModel } from './sqs.ts';

export { CloudFormationModel, CloudTrailModel, EksModel, EventsModel, IamModel, IdentityCenterModel, DEFAULT_ACCOUNT_ID, KubernetesModel, LambdaModel, S3Model, SchedulerModel, SqsModel };
export type { Invocation as ScheduleInvocation, Schedule } from './scheduler.ts';
export type { ApiServer, ClusterSeed, EksModelOptions } from './eks.ts';
export type { IamWriteEvent, IamWriteListener, RolePolicy, SessionRole, WriteCaller } from './iam.ts';
export type { Instance as IdentityCenterInstance, ProvisionedRole } from './identity-center.ts';

export interface AwsModelOptions extends Omit<EksModelOptions, 'accountId' | 'principalExists' | 'principalId'> {
  accountId?: string;
}

/** An access key the sandbox knows: who signs with it (STS GetCallerIdentity's answer). */
export interface KnownAccessKey {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** An IAM user ARN or an STS assumed-role ARN. */
  arn: string;
}

/**
 * The role the migration workflow's Lambdas run as, by default: the sandbox's own access key
 * signs as a session of it, so the Kubernetes API sees "the workflow" (docs/architecture.md, "The migration workflow").
 */
export const WORKFLOW_ROLE_NAME = 'eks-access-pilot-MigrationRole';

/** The ARN aws-auth and access entries match for a caller: roles without path, lower case. */
export function canonicalPrincipal(arn: string): string {
  const sts = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  if (sts) return `arn:${sts[1]}:iam::${sts[2]}:role/${sts[3]}`.toLowerCase();
  const role = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(arn);
  if (role) return `arn:${role[1]}:iam::${role[2]}:role/${role[3]}`.toLowerCase();
  return arn;
}

/**
 * IAM and EKS for one account. EKS checks principals against this IAM; principals of other
 * accounts (allowed for STANDARD entries) cannot be checked here and are taken to exist.
 */
export class AwsModel {
  readonly accountId: string;
  readonly iam: IamModel;
  readonly eks: EksModel;
  readonly s3: S3Model;
  readonly cloudtrail: CloudTrailModel;
  readonly events: EventsModel;
  readonly sqs: SqsModel;
  readonly lambda: LambdaModel;
  readonly cloudformation: CloudFormationModel;
  /** IAM Identity Center: no instance until enabled (seed `identityCenter`). */
  readonly identityCenter: IdentityCenterModel;
  /**
   * The sandbox's "now" for what runs on time: EventBridge Scheduler's schedules and the deployed
   * functions' wall clock (sandbox/clock.ts). Real time until a test or the demo moves it.
   */
  readonly clock = new SandboxClock();
  readonly scheduler: SchedulerModel;
  private readonly apiServers = new Map<string, KubernetesModel>();
  private readonly accessKeys = new Map<string, KnownAccessKey>();

  constructor(options: AwsModelOptions = {}) {
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    const now = options.now;
    this.iam = new IamModel(this.accountId, now ? { now } : {});
    this.s3 = new S3Model(now ? { now } : {});
    this.cloudtrail = new CloudTrailModel(this.accountId, now);
    this.events = new EventsModel(this.accountId);
    this.sqs = new SqsModel(this.accountId, now ? () => now().getTime() : undefined);
    this.lambda = new LambdaModel();
    this.cloudformation = new CloudFormationModel(this.accountId, now);
    this.identityCenter = new IdentityCenterModel(this.iam, this.accountId, now ? { now } : {});
    this.scheduler = new SchedulerModel(this.accountId, this.clock, { deadLetter: (arn, body) => this.sqs.sendToArn(arn, body) });
    const local = (arn: string) => arn.startsWith(`arn:aws:iam::${this.accountId}:`);
    this.eks = new EksModel({
      ...options,
      accountId: this.accountId,
      principalExists: (arn) => !local(arn) || this.iam.principalExists(arn),
      principalId: (arn) => (local(arn) ? this.iam.principalId(arn) : undefined),
    });
  }

  /**
   * The Kubernetes API server of an EKS cluster (its aws-auth ConfigMap, its authenticator and
   * authorizer), created on first use. It reads the cluster's current EKS state at each request:
   * the mode, the bootstrap admin, the access entries that still authenticate their principal
   * (with their username, groups and access policies) and the Kubernetes version.
   */
  kubernetes(region: string, clusterName: string): KubernetesModel {
    const key = `${region}/${clusterName}`;
    let k8s = this.apiServers.get(key);
    if (!k8s) {
      const view = () => this.eks.authView(region, clusterName);
      k8s = new KubernetesModel({
        bootstrapAdminArn: () => view().bootstrapAdminArn,
        authMode: () => view().mode,
        accessEntry: (callerArn) => this.accessEntryOf(region, clusterName, callerArn),
        version: () => this.unobserved(() => this.eks.describeCluster(region, { name: clusterName }).cluster?.version ?? '1.31'),
      });
      this.apiServers.set(key, k8s);
    }
    return k8s;
  }

  /**
   * The access entry that authenticates a caller, as the API server sees it. EKS matches a role
   * session to the role's entry whatever the role's path is (the session ARN has none).
   */
  private accessEntryOf(region: string, clusterName: string, callerArn: string): AccessEntryView | undefined {
    const principalArn = this.eks.authView(region, clusterName).effectiveEntryArns.find((e) => canonicalPrincipal(e) === canonicalPrincipal(callerArn));
    if (!principalArn) return undefined;
    return this.unobserved(() => {
      const entry = this.eks.describeAccessEntry(region, { clusterName, principalArn }).accessEntry!;
      const policies: AccessEntryView['policies'] = [];
      // Node and Fargate entries carry no access policies (ListAssociatedAccessPolicies is for STANDARD entries).
      for (let token: string | undefined, first = true; entry.type === 'STANDARD' && (first || token); first = false) {
        const page = this.eks.listAssociatedAccessPolicies(region, { clusterName, principalArn, ...(token ? { nextToken: token } : {}) });
        for (const p of page.associatedAccessPolicies ?? []) {
          const scope = p.accessScope?.type === 'namespace' ? { type: 'namespace' as const, namespaces: [...(p.accessScope.namespaces ?? [])] } : { type: 'cluster' as const };
          policies.push({ policyArn: p.policyArn ?? '', scope });
        }
        token = page.nextToken;
      }
      return { principalArn, type: entry.type ?? 'STANDARD', username: entry.username ?? '', kubernetesGroups: [...(entry.kubernetesGroups ?? [])], policies };
    });
  }

  /**
   * Runs a read of EKS's state that the API server makes internally: it is not an EKS API call,
   * so it must not show in the EKS model's call counts, which tests assert on.
   */
  private unobserved<T>(read: () => T): T {
    const before = new Map(this.eks.calls);
    try {
      return read();
    } finally {
      this.eks.calls.clear();
      for (const [op, n] of before) this.eks.calls.set(op, n);
    }
  }

  /** Registers an access key, as if IAM or STS had issued it. */
  addAccessKey(key: KnownAccessKey): void {
    this.accessKeys.set(key.accessKeyId, { ...key });
  }

  /** The key with this ID, if the sandbox issued it. */
  accessKey(accessKeyId: string): KnownAccessKey | undefined {
    const k = this.accessKeys.get(accessKeyId);
    return k && { ...k };
  }
}
