// One model of AWS for tests and the sandbox: IAM and EKS wired so EKS sees IAM's principals.
import { EksModel, type EksModelOptions } from '#sandbox/model/eks';
import { DEFAULT_ACCOUNT_ID, IamModel } from '#sandbox/model/iam';

export { EksModel, IamModel, DEFAULT_ACCOUNT_ID };
export type { ClusterSeed, EksModelOptions } from '#sandbox/model/eks';
export type { IamWriteEvent, IamWriteListener } from '#sandbox/model/iam';

export interface AwsModelOptions extends Omit<EksModelOptions, 'accountId' | 'principalExists' | 'principalId'> {
  accountId?: string;
}

/**
 * IAM and EKS for one account. EKS checks principals against this IAM; principals of other
 * accounts (allowed for STANDARD entries) cannot be checked here and are taken to exist.
 */
export class AwsModel {
  readonly accountId: string;
  readonly iam: IamModel;
  readonly eks: EksModel;

  constructor(options: AwsModelOptions = {}) {
    this.accountId = options.accountId ?? DEFAULT_ACCOUNT_ID;
    const now = options.now;
    this.iam = new IamModel(this.accountId, now ? { now } : {});
    const local = (arn: string) => arn.startsWith(`arn:aws:iam::${this.accountId}:`);
    this.eks = new EksModel({
      ...options,
      accountId: this.accountId,
      principalExists: (arn) => !local(arn) || this.iam.principalExists(arn),
      principalId: (arn) => (local(arn) ? this.iam.principalId(arn) : undefined),
    });
  }
}
