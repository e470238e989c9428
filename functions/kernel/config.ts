/**
 * The one configuration of eks-access-pilot. It is written as CDK context (`cdk.json`,
 * key `eksAccessPilot`), parsed by `parseConfig` at synth time, handed to the functions
 * as JSON in the `EAP_CONFIG` environment variable and parsed again by the same schema
 * at cold start. A wrong value fails with a message naming the field.
 */
import * as z from './zod-mini.ts';
import { EksAccessPilotError } from './errors.ts';
import { DEFAULT_ACCESS_ENTRY_HEADROOM_PERCENT } from './quotas.ts';
import { PARTITIONS, accessPolicyArn, accessPolicyArnPrefix, isSupportedRegion, partitionOf, partitionOfArn, type Partition } from './partition.ts';
import { DEFAULT_IDENTITY_CENTER_USERNAME } from './identity-center.ts';
import { accessEntryUsernameProblem } from './username.ts';
import { parseIsoDuration } from './duration.ts';

/**
 * The access policy ARN prefix of the aws partition, where the default home region is. Other
 * partitions have their own (`accessPolicyArnPrefix`); the default levels follow `homeRegion`.
 */
export const POLICY_ARN_PREFIX = accessPolicyArnPrefix('aws');

const clusterName = z
  .string()
  .check(z.regex(/^[0-9A-Za-z][A-Za-z0-9\-_]{0,99}$/, 'must be an EKS cluster name (letters, digits, - and _, at most 100)'));
const region = z
  .string()
  .check(
    z.regex(/^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/, 'must be an AWS region such as eu-west-1'),
    z.refine(isSupportedRegion, `must be a region of a supported partition (${PARTITIONS.join(', ')})`),
  );
const levelName = z
  .string()
  .check(
    z.regex(/^[a-z][a-z0-9-]{0,31}$/, 'must be a lowercase level name such as view'),
    z.refine((v) => v !== 'none', '"none" is reserved: it means no access'),
  );
const policyArn = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:eks::aws:cluster-access-policy\/[A-Za-z0-9]+$/, 'must be an EKS access policy ARN'));
const iamPrincipalArn = z
  .string()
  .check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:(role|user)\/.+$/, 'must be an IAM role or user ARN'));


/**
 * Where access tags come from for the roles IAM Identity Center creates (kernel/identity-center.ts):
 * their permission set's tags, read from the instance through a read-only role, and/or written
 * here by permission-set name. Formats from the Identity Center API reference: an instance ARN
 * (ListPermissionSets, `InstanceArn`: `arn:aws(-[a-z]{1,5}){0,3}:sso:::instance/(sso)?ins-[a-zA-Z0-9-.]{16}`)
 * and a permission set name (CreatePermissionSet, `Name`: 1–32 of `[\w+=,.@-]`).
 */
const IdentityCenterFields = z.strictObject({
  /** The Identity Center instance whose permission sets' tags are read. */
  instanceArn: z.optional(
    z.string().check(z.regex(/^arn:aws(-[a-z]{1,5}){0,3}:sso:::instance\/(sso)?ins-[a-zA-Z0-9-.]{16}$/, 'must be an IAM Identity Center instance ARN (arn:<partition>:sso:::instance/ssoins-…)')),
  ),
  /** The region the instance lives in (its sso-admin endpoint). */
  region: z.optional(region),
  /** A read-only role in the account that administers Identity Center (management or delegated admin), assumed to read it. */
  readRoleArn: z.optional(z.string().check(z.regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/, 'must be an IAM role ARN'))),
  /**
   * Tags by permission-set name, for where the instance cannot be read (or to pin a set). They
   * follow the tag contract and are checked when used, like a role's tags: an invalid one changes
   * nothing for that set's roles and is logged and counted.
   */
  permissionSets: z.optional(
    z
      .array(
        z.strictObject({
          name: z.string().check(z.regex(/^[\w+=,.@-]{1,32}$/, 'must be a permission set name (1–32 letters, digits and +=,.@_-)')),
          tags: z.record(z.string().check(z.minLength(1, 'a tag key must not be empty')), z.string()),
        }),
      )
      .check(z.minLength(1, 'list at least one permission set, or leave permissionSets out')),
  ),
  /** The username of an Identity Center role's access entry; {{SessionName}} is the person's Identity Center user name. */
  username: z._default(
    z.string().check(
      z.superRefine((u, ctx) => {
        const problem = accessEntryUsernameProblem(u);
        if (problem) ctx.addIssue({ code: 'custom', message: problem, input: u });
      }),
    ),
    DEFAULT_IDENTITY_CENTER_USERNAME,
  ),
});

const INSTANCE_FIELDS = ['instanceArn', 'region', 'readRoleArn'] as const;

const IdentityCenterSchema = IdentityCenterFields.check(
  z.superRefine((ic, ctx) => {
    const given = INSTANCE_FIELDS.filter((f) => ic[f] !== undefined);
    if (given.length > 0) {
      for (const f of INSTANCE_FIELDS.filter((x) => ic[x] === undefined)) {
        ctx.addIssue({ code: 'custom', path: [f], message: `required with ${given.join(' and ')}: instanceArn, region and readRoleArn come together`, input: ic });
      }
    } else if (!ic.permissionSets) {
      ctx.addIssue({ code: 'custom', message: 'give instanceArn, region and readRoleArn (to read the permission sets), or permissionSets, or both', input: ic });
    }
    const seen = new Set<string>();
    ic.permissionSets?.forEach((ps, i) => {
      if (seen.has(ps.name)) ctx.addIssue({ code: 'custom', path: ['permissionSets', i, 'name'], message: `duplicate permission set "${ps.name}"`, input: ps });
      seen.add(ps.name);
      const keys = new Map<string, string>();
      for (const key of Object.keys(ps.tags)) {
        // Access tag keys are compared ignoring case (the tag contract), so two spellings would be one key.
        const other = keys.get(key.toLowerCase());
        if (other !== undefined) ctx.addIssue({ code: 'custom', path: ['permissionSets', i, 'tags', key], message: `the same key as "${other}" (keys are compared ignoring case)`, input: ps });
        keys.set(key.toLowerCase(), key);
      }
    });
  }),
);

/** The levels a configuration without `levels` gets, with the policy ARNs of its partition. */
export function defaultLevels(partition: Partition): Array<{ name: string; policyArn: string }> {
  return [
    { name: 'view', policyArn: accessPolicyArn(partition, 'AmazonEKSViewPolicy') },
    { name: 'edit', policyArn: accessPolicyArn(partition, 'AmazonEKSEditPolicy') },
    { name: 'admin', policyArn: accessPolicyArn(partition, 'AmazonEKSAdminPolicy') },
    { name: 'cluster-admin', policyArn: accessPolicyArn(partition, 'AmazonEKSClusterAdminPolicy') },
  ];
}

const ConfigFields = z.strictObject({
  /** Region of the stack and its functions; IAM events are forwarded here from us-east-1. */
  homeRegion: z._default(region, 'us-east-1'),
  /** The clusters this system manages; no other cluster is ever read or written. */
  clusters: z
    .array(
      z.strictObject({
        name: clusterName,
        region,
        /**
         * Let access tags manage the cluster while it is in API_AND_CONFIG_MAP mode. Off by
         * default: there an access entry overrides the principal's aws-auth mapping, which
         * this system cannot see (see `clusterUnmanagedReason`).
         */
        manageInApiAndConfigMap: z.optional(z.boolean()),
      }),
    )
    .check(z.minLength(1, 'list at least one managed cluster')),
  /**
   * Access levels, lowest first. The order is what the ceiling compares. Default:
   * `defaultLevels` of homeRegion's partition, filled in below (an empty list stands for "not
   * given": a given list has at least one level).
   */
  levels: z._default(z.array(z.strictObject({ name: levelName, policyArn })).check(z.minLength(1)), []),
  /** Highest level a tag may grant; anything above is rejected and counted. */
  ceiling: z._default(levelName, 'edit'),
  /** Kubernetes groups a tag may request (`<prefix>-groups`); none by default. */
  allowedGroups: z._default(
    z.array(z.string().check(z.minLength(1), z.maxLength(63), z.refine((g) => !g.startsWith('system:'), 'system: groups cannot be granted'))),
    [],
  ),
  /** Break-glass and other principals whose entries are never touched. */
  protectedPrincipalArns: z._default(z.array(iamPrincipalArn), []),
  /** EventBridge schedule expression of the full resync. */
  resyncSchedule: z._default(
    z.string().check(z.regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\))$/, 'must be rate(...) or cron(...)')),
    'rate(30 minutes)',
  ),
  /** Tag key prefix: `<prefix>`, `<prefix>/<cluster>`, `<prefix>-namespaces`, `<prefix>-groups`, `<prefix>-expires`. */
  tagPrefix: z._default(z.string().check(z.regex(/^[A-Za-z0-9_.:=+@-]{1,100}$/, 'must be a valid IAM tag key prefix without /')), 'eks-access'),
  /** Parallel cluster reconciles per principal. */
  clusterConcurrency: z._default(z.number().check(z.int(), z.gte(1), z.lte(32)), 8),
  /**
   * Share of EKS's 3,000 access entries per cluster (kernel/quotas.ts) the tag side may fill:
   * a grant that would create an entry past floor(3,000 × percent / 100) is refused, logged and
   * counted. The rest is room for entries made at the same time by other invocations, EKS
   * (node groups, Fargate profiles) and people.
   */
  accessEntryHeadroomPercent: z._default(
    z.number().check(z.int('must be a whole number of percent'), z.gte(1, 'must be at least 1'), z.lte(100, 'must be at most 100 (the quota cannot be exceeded)')),
    DEFAULT_ACCESS_ENTRY_HEADROOM_PERCENT,
  ),
  /**
   * The longest time-bound grant: an `<prefix>-expires` further than now plus this is an invalid
   * tag. An ISO-8601 duration in fixed units (`PT12H`, `P7D`, `P1W`; kernel/duration.ts). No limit when absent.
   */
  maxAccessDuration: z.optional(
    z.string().check(
      z.superRefine((d, ctx) => {
        const r = parseIsoDuration(d);
        if (!r.ok) ctx.addIssue({ code: 'custom', message: r.message, input: d });
      }),
    ),
  ),
  /**
   * A level above this one may only be granted with an `<prefix>-expires` tag (`view`: edit and
   * up must be temporary); without one the principal's tags are invalid. One of `levels`; off when absent.
   */
  requireExpiryAbove: z.optional(levelName),
  /** Access for the roles IAM Identity Center creates, from their permission sets' tags; off when absent. */
  identityCenter: z.optional(IdentityCenterSchema),
});

// Checks run even after a field's own check failed (zod reports every issue at once), so the
// partition rules below skip a region that already has its issue instead of throwing.
export const ConfigSchema = ConfigFields.check(
  z.overwrite((c) => (c.levels.length || !isSupportedRegion(c.homeRegion) ? c : { ...c, levels: defaultLevels(partitionOf(c.homeRegion)) })),
  z.superRefine((c, ctx) => {
    const names = c.levels.map((l) => l.name);
    names.forEach((n, i) => {
      if (names.indexOf(n) !== i) ctx.addIssue({ code: 'custom', path: ['levels', i, 'name'], message: `duplicate level "${n}"` });
    });
    // No levels only when homeRegion has its own issue (no default could be chosen).
    if (names.length && !names.includes(c.ceiling)) {
      ctx.addIssue({ code: 'custom', path: ['ceiling'], message: `"${c.ceiling}" is not one of the levels (${names.join(', ')})` });
    }
    if (names.length && c.requireExpiryAbove !== undefined && !names.includes(c.requireExpiryAbove)) {
      ctx.addIssue({ code: 'custom', path: ['requireExpiryAbove'], message: `"${c.requireExpiryAbove}" is not one of the levels (${names.join(', ')})` });
    }
    const seen = new Set<string>();
    c.clusters.forEach((cl, i) => {
      const key = `${cl.region}/${cl.name}`;
      if (seen.has(key)) ctx.addIssue({ code: 'custom', path: ['clusters', i], message: `duplicate cluster ${key}` });
      seen.add(key);
    });
    const byName = new Map<string, string>();
    c.clusters.forEach((cl, i) => {
      const other = byName.get(cl.name);
      if (other && other !== cl.region) {
        // Per-cluster override tags are keyed by name only, so a name must be unambiguous.
        ctx.addIssue({ code: 'custom', path: ['clusters', i, 'name'], message: `cluster name "${cl.name}" is used in two regions; override tags could not tell them apart` });
      }
      byName.set(cl.name, cl.region);
    });
    // One deployment lives in one partition: an AWS account, and so every role, credential
    // and cluster it can use, is scoped to one (AWS General Reference, "Amazon Resource Names
    // (ARNs)"). A region or ARN of another partition could never be reached; say so by field.
    if (!isSupportedRegion(c.homeRegion)) return;
    const home = partitionOf(c.homeRegion);
    const elsewhere = (what: string, partition: string | undefined) =>
      `${what} is ${partition ? `in partition ${partition}` : 'not in a supported partition'}, homeRegion "${c.homeRegion}" in ${home}: one deployment works within its own partition`;
    c.clusters.forEach((cl, i) => {
      const p = isSupportedRegion(cl.region) ? partitionOf(cl.region) : home;
      if (p !== home) ctx.addIssue({ code: 'custom', path: ['clusters', i, 'region'], message: elsewhere(`"${cl.region}"`, p) });
    });
    c.levels.forEach((l, i) => {
      const p = partitionOfArn(l.policyArn);
      if (p !== home) {
        ctx.addIssue({ code: 'custom', path: ['levels', i, 'policyArn'], message: `${elsewhere(l.policyArn, p)} (use ${accessPolicyArnPrefix(home)}…)` });
      }
    });
    c.protectedPrincipalArns.forEach((arn, i) => {
      const p = partitionOfArn(arn);
      if (p !== home) ctx.addIssue({ code: 'custom', path: ['protectedPrincipalArns', i], message: elsewhere(arn, p) });
    });
    const ic = c.identityCenter;
    for (const f of ['instanceArn', 'readRoleArn'] as const) {
      const arn = ic?.[f];
      if (arn === undefined || !arn.startsWith('arn:')) continue; // not an ARN at all: its own issue says so
      const p = partitionOfArn(arn);
      if (p !== home) ctx.addIssue({ code: 'custom', path: ['identityCenter', f], message: elsewhere(arn, p) });
    }
    if (ic?.region !== undefined && isSupportedRegion(ic.region) && partitionOf(ic.region) !== home) {
      ctx.addIssue({ code: 'custom', path: ['identityCenter', 'region'], message: elsewhere(`"${ic.region}"`, partitionOf(ic.region)) });
    }
  }),
);

export type Config = z.output<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;

/** What the functions receive: the configuration plus the ARNs of the system's own roles. */
export const RuntimeConfigSchema = z.strictObject({
  config: ConfigSchema,
  systemRoleArns: z._default(z.array(z.string()), []),
});
export type RuntimeConfig = z.output<typeof RuntimeConfigSchema>;

export class ConfigError extends EksAccessPilotError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigError';
  }
}

/** Formats zod issues as `field.path: message` lines so the failing field is named. */
export function formatIssues(error: z.core.$ZodError, root = ''): string {
  return error.issues
    .map((i) => {
      const path = [root, ...i.path.map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))]
        .filter(Boolean)
        .join('.')
        .replace(/\.\[/g, '[');
      return `${path || '(root)'}: ${i.message}`;
    })
    .join('\n');
}

/** Parses a configuration; throws ConfigError naming every bad field. */
export function parseConfig(input: unknown, source = 'eksAccessPilot'): Config {
  const r = ConfigSchema.safeParse(input);
  if (!r.success) throw new ConfigError(`invalid configuration:\n${formatIssues(r.error, source)}`);
  return r.data;
}

/** Parses the functions' `EAP_CONFIG` JSON; throws ConfigError naming the field. */
export function parseRuntimeConfig(json: string | undefined): RuntimeConfig {
  if (!json) throw new ConfigError('EAP_CONFIG is not set');
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (e) {
    throw new ConfigError(`EAP_CONFIG is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const r = RuntimeConfigSchema.safeParse(raw);
  if (!r.success) throw new ConfigError(`invalid EAP_CONFIG:\n${formatIssues(r.error)}`);
  return r.data;
}

/** The Identity Center instance to read, when the configuration names one (the three fields come together). */
export function identityCenterInstance(config: Config): { instanceArn: string; region: string; readRoleArn: string } | undefined {
  const ic = config.identityCenter;
  if (!ic?.instanceArn || !ic.region || !ic.readRoleArn) return undefined;
  return { instanceArn: ic.instanceArn, region: ic.region, readRoleArn: ic.readRoleArn };
}

/** The levels from the lowest up to and including the ceiling. */
export function grantableLevels(config: Config): Config['levels'] {
  const idx = config.levels.findIndex((l) => l.name === config.ceiling);
  return config.levels.slice(0, idx + 1);
}
