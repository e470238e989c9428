/**
 * A sandbox seed: the IAM principals, EKS clusters (with their aws-auth ConfigMap), S3 buckets
 * and known access keys a sandbox starts with, as a JSON file
 * (sandbox/seed/default.json). Validated with a schema that names the field, like the rest of
 * the system's inputs (docs/architecture.md, "Safety invariants" 8).
 */
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import * as z from 'zod';
import { formatIssues } from '#kernel/config';
import type { AwsModel } from '#sandbox/model/index';

const Tags = z.record(z.string(), z.string());
const Principal = z.strictObject({
  name: z.string().min(1),
  path: z.string().optional(),
  tags: Tags.optional(),
  description: z.string().optional(),
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
  accountId: z.string().regex(/^\d{12}$/, 'must be a 12-digit AWS account ID').optional(),
  iam: z
    .strictObject({
      roles: z.array(Principal).default([]),
      users: z.array(Principal).default([]),
    })
    .default({ roles: [], users: [] }),
  clusters: z.array(Cluster).default([]),
  s3: z.strictObject({ buckets: z.array(z.strictObject({ name: z.string().min(3), versioned: z.boolean().optional() })).default([]) }).default({ buckets: [] }),
  /** Access keys besides the sandbox's own, with who signs with them (STS and the Kubernetes API honour them). */
  accessKeys: z.array(AccessKey).default([]),
});
export type SandboxSeed = z.input<typeof SandboxSeedSchema>;

/** A trust policy for seeded roles: EC2 may assume them (the content is not evaluated). */
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
 * IAM's validation), then its clusters, which see those principals. Principals first: a cluster
 * seeded in an access-entry mode records the current principal IDs of its node and creator roles.
 */
export function applySeed(model: AwsModel, seed: SandboxSeed): void {
  const s = parseSeed(seed);
  if (s.accountId !== undefined && s.accountId !== model.accountId) {
    throw new Error(`the seed is for account ${s.accountId}, the model for ${model.accountId}`);
  }
  const tags = (t?: Record<string, string>) => (t ? Object.entries(t).map(([Key, Value]) => ({ Key, Value })) : undefined);
  for (const r of s.iam.roles) {
    model.iam.createRole({ RoleName: r.name, Path: r.path, AssumeRolePolicyDocument: TRUST, Description: r.description, Tags: tags(r.tags) });
  }
  for (const u of s.iam.users) model.iam.createUser({ UserName: u.name, Path: u.path, Tags: tags(u.tags) });
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
