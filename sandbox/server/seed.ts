/**
 * A sandbox seed: the IAM principals, EKS clusters (with their aws-auth ConfigMap), S3 buckets,
 * known access keys and an IAM Identity Center instance a sandbox starts with, as a JSON file
 * (sandbox/seed/default.json). Validated with a schema that names the field, like the rest of
 * the system's inputs (docs/architecture.md, "Safety invariants" 8).
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import * as z from 'zod';
import { formatIssues } from '#kernel/config';
import type { AwsModel } from '#sandbox/model/index';

const Tags = z.record(z.string(), z.string());
/** An identity policy: its name and document (`{"Version": …, "Statement": [...]}`). */
const Policy = z.strictObject({
  name: z.string().min(1),
  document: z.looseObject({ Version: z.string().optional(), Statement: z.array(z.record(z.string(), z.unknown())).min(1) }),
});
const Principal = z.strictObject({
  name: z.string().min(1),
  path: z.string().optional(),
  tags: Tags.optional(),
  description: z.string().optional(),
});
const Role = Principal.extend({
  /**
   * Identity policies the sandbox enforces for sessions of this role (STS AssumeRole). A role of
   * the deployed app has its synthesized policies instead; without policies a role's sessions
   * may do nothing.
   */
  policies: z.array(Policy).optional(),
  /** The trust policy (default: EC2 may assume the role); STS AssumeRole checks it. */
  trustPolicy: z.looseObject({ Statement: z.unknown() }).optional(),
  /** Seconds, 3600–43200 (IAM API reference, CreateRole); default 3600. */
  maxSessionDuration: z.number().int().min(3600).max(43200).optional(),
});
const AccountId = z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account ID');
/**
 * IAM Identity Center: the instance (in `instanceRegion`), its permission sets with their tags,
 * each provisioned to the accounts in `assignedTo` when the sandbox starts (an assignment to a
 * group: Identity Center creates the role in this account's IAM). Seeding it also creates the
 * read role `IdentityCenterReadOnly` (IDENTITY_CENTER_READ_ROLE): it trusts the account and may
 * call sso:List* and sso:Describe*.
 */
const IdentityCenter = z.strictObject({
  /** Default: a random `arn:aws:sso:::instance/ssoins-<16 hex>`. */
  instanceArn: z.string().regex(/^arn:aws[a-z-]*:sso:::instance\/(sso)?ins-[a-zA-Z0-9-.]{16}$/, 'must be an Identity Center instance ARN (arn:aws:sso:::instance/ssoins-<16 characters>)').optional(),
  /** Default: the sandbox's Region. */
  instanceRegion: z.string().regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS Region such as eu-west-1').optional(),
  permissionSets: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[\w+=,.@-]{1,32}$/, 'must be a permission set name ([\\w+=,.@-], at most 32 characters)'),
        tags: Tags.optional(),
        description: z.string().optional(),
        /** ISO-8601 duration, default PT1H (the role's MaxSessionDuration). */
        sessionDuration: z.string().optional(),
        assignedTo: z.array(AccountId).default([]),
      }),
    )
    .default([]),
});
const Arn = z.string().regex(/^arn:aws:iam::\d{12}:(role|user)\//, 'must be an IAM role or user ARN');
/**
 * An aws-auth key: rows as JSON (written out as the YAML aws-auth holds) or the YAML text as it
 * is, for rows a structured form cannot express (malformed ones, on purpose).
 */
const AwsAuthRows = z.union([z.string(), z.array(z.record(z.string(), z.unknown()))]);
const AwsAuth = z.strictObject({ mapRoles: AwsAuthRows.optional(), mapUsers: AwsAuthRows.optional(), mapAccounts: AwsAuthRows.optional() });
const Cluster = z.strictObject({
  name: z.string().min(1),
  region: z.string().min(1),
  authenticationMode: z.enum(['CONFIG_MAP', 'API_AND_CONFIG_MAP', 'API']),
  version: z.string().min(1),
  platformVersion: z.string().min(1),
  creatorArn: Arn.optional(),
  bootstrapClusterCreatorAdminPermissions: z.boolean().optional(),
  nodeRoleArns: z.array(Arn).optional(),
  fargateRoleArns: z.array(Arn).optional(),
  tags: Tags.optional(),
  /** The cluster's aws-auth ConfigMap (kube-system); none when absent. */
  awsAuth: AwsAuth.optional(),
});
const AccessKey = z.strictObject({
  accessKeyId: z.string().regex(/^[A-Z0-9]{16,128}$/, 'must look like an access key ID'),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().optional(),
  arn: z.string().regex(/^arn:aws:(iam::\d{12}:user\/|sts::\d{12}:assumed-role\/[^/]+\/)/, 'must be an IAM user or STS assumed-role ARN'),
});

export const SandboxSeedSchema = z.strictObject({
  /** Free text for the person reading the file. */
  description: z.string().optional(),
  accountId: AccountId.optional(),
  iam: z
    .strictObject({
      roles: z.array(Role).default([]),
      users: z.array(Principal).default([]),
    })
    .default({ roles: [], users: [] }),
  clusters: z.array(Cluster).default([]),
  s3: z.strictObject({ buckets: z.array(z.strictObject({ name: z.string().min(3), versioned: z.boolean().optional() })).default([]) }).default({ buckets: [] }),
  /** Access keys besides the sandbox's own, with who signs with them (STS and the Kubernetes API honour them). */
  accessKeys: z.array(AccessKey).default([]),
  identityCenter: IdentityCenter.optional(),
});
export type SandboxSeed = z.input<typeof SandboxSeedSchema>;

/** The read role a seeded Identity Center comes with (its name; the ARN is in the account, path /). */
export const IDENTITY_CENTER_READ_ROLE = 'IdentityCenterReadOnly';

/** A trust policy for seeded roles: EC2 may assume them (STS AssumeRole refuses every IAM caller). */
const TRUST = JSON.stringify({
  Version: '2012-10-17',
  Statement: [{ Effect: 'Allow', Principal: { Service: 'ec2.amazonaws.com' }, Action: 'sts:AssumeRole' }],
});

/**
 * Parses a seed.
 * @throws Error naming the field (`clusters.0.authenticationMode: …`) when the seed is invalid.
 */
export function parseSeed(raw: unknown, source = 'seed'): z.output<typeof SandboxSeedSchema> {
  const r = SandboxSeedSchema.safeParse(raw);
  if (!r.success) throw new Error(`invalid sandbox ${source}:\n${formatIssues(r.error)}`, { cause: r.error });
  return r.data;
}

/** Reads and parses a seed file. */
export function loadSeed(path: string): z.output<typeof SandboxSeedSchema> {
  return parseSeed(JSON.parse(readFileSync(path, 'utf8')), `seed ${path}`);
}

/**
 * Creates the seed's principals through the model's own API (so they get unique IDs and pass
 * IAM's validation), then Identity Center (whose provisioning creates roles), then its clusters,
 * which see those principals. Principals first: a cluster seeded in an access-entry mode records
 * the current principal IDs of its node and creator roles. `region`: the sandbox's Region, where
 * a seeded Identity Center instance lives unless the seed names another.
 */
export function applySeed(model: AwsModel, seed: SandboxSeed, options: { region?: string } = {}): void {
  const s = parseSeed(seed);
  if (s.accountId !== undefined && s.accountId !== model.accountId) {
    throw new Error(`the seed is for account ${s.accountId}, the model for ${model.accountId}`);
  }
  const tags = (t?: Record<string, string>) => (t ? Object.entries(t).map(([Key, Value]) => ({ Key, Value })) : undefined);
  for (const r of s.iam.roles) {
    const trust = r.trustPolicy ? JSON.stringify({ Version: '2012-10-17', ...r.trustPolicy }) : TRUST;
    model.iam.createRole({ RoleName: r.name, Path: r.path, AssumeRolePolicyDocument: trust, Description: r.description, Tags: tags(r.tags), MaxSessionDuration: r.maxSessionDuration });
    if (r.policies) model.iam.setRolePolicies(r.name, r.policies);
  }
  for (const u of s.iam.users) model.iam.createUser({ UserName: u.name, Path: u.path, Tags: tags(u.tags) });
  if (s.identityCenter) seedIdentityCenter(model, s.identityCenter, options.region ?? 'us-east-1');
  for (const { awsAuth, ...c } of s.clusters) {
    model.eks.addCluster(c);
    if (awsAuth) {
      const data = Object.fromEntries(
        Object.entries(awsAuth)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, typeof v === 'string' ? v : stringify(v)]),
      );
      model.kubernetes(c.region, c.name).seedConfigMap('kube-system', 'aws-auth', data);
    }
  }
  for (const b of s.s3.buckets) model.s3.createBucket(b.name, { versioned: b.versioned ?? true });
  for (const k of s.accessKeys) model.addAccessKey(k);
}

/**
 * Enables Identity Center, creates the read role the app assumes to read it, then the permission
 * sets, each provisioned to its accounts.
 */
function seedIdentityCenter(model: AwsModel, ic: z.output<typeof IdentityCenter>, region: string): void {
  model.identityCenter.enable({ region: ic.instanceRegion ?? region, ...(ic.instanceArn ? { instanceArn: ic.instanceArn } : {}) });
  const account = model.accountId;
  model.iam.createRole({
    RoleName: IDENTITY_CENTER_READ_ROLE,
    Description: 'Reads Identity Center permission sets and their tags (identityCenter.readRoleArn)',
    AssumeRolePolicyDocument: JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'sts:AssumeRole' }],
    }),
  });
  model.iam.setRolePolicies(IDENTITY_CENTER_READ_ROLE, [
    {
      name: 'ReadIdentityCenter',
      document: { Version: '2012-10-17', Statement: [{ Sid: 'ReadPermissionSets', Effect: 'Allow', Action: ['sso:List*', 'sso:Describe*'], Resource: '*' }] },
    },
  ]);
  for (const ps of ic.permissionSets) {
    model.identityCenter.addPermissionSet(ps.name, {
      ...(ps.tags ? { tags: ps.tags } : {}),
      ...(ps.description !== undefined ? { description: ps.description } : {}),
      ...(ps.sessionDuration !== undefined ? { sessionDuration: ps.sessionDuration } : {}),
    });
    for (const accountId of ps.assignedTo) model.identityCenter.provision(ps.name, accountId);
  }
}
