/**
 * Task "Plan conversion": the conversion plan (functions/migration/domain/conversion.ts) of the
 * backed-up aws-auth — the same code as `eks-access-pilot plan` — with path-less ARNs resolved
 * through iam:GetRole / iam:GetUser, `sso` rows through the account's Identity Center roles
 * (iam:ListRoles), and each row compared with the access entry that already exists for its
 * principal. The plan goes to `plans/<cluster>/<execution>/plan.json`; the state
 * gets its location and counts.
 *
 * A malformed aws-auth makes the plan invalid: a dry run still ends with the plan (its errors name
 * key, entry and line); a real run stops here with nothing changed.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import { stringify } from 'yaml';
import * as z from 'zod';
import { parseAwsAuth, type AwsAuthDocument } from '#migration/domain/aws-auth';
import { SSO_ROLE_PATH_PREFIX, planConversion, type SsoRoleListing } from '#migration/domain/conversion';
import { annotatePlan, listWithin } from '#migration/domain/entries';
import { AccessEntryQuotaError, AwsAuthMalformedError } from '#migration/domain/errors';
import { accessEntryQuotaBlocker } from '#migration/domain/quota';
import {
  BackupRefSchema,
  ClusterInfoSchema,
  RunSchema,
  documentKey,
  s3Location,
  type BackupDocument,
  type PlanDocument,
  type PlanRef,
} from '#workflows/contract';
import { ObjectExistsError, documentStore } from '#migration/adapters/documents';
import pLimit from 'p-limit';
import { partitionOf } from '#kernel/partition';
import { parsePrincipalArn } from '#kernel/principal';
import { iamReader } from '#platform/iam-principals';
import { instrument, logger } from '#platform/powertools';
import { TASK_CONCURRENCY, parseState } from './common.ts';
import { productionPorts, type AwsPorts } from '#migration/ports';

const EventSchema = z.object({ run: RunSchema, cluster: ClusterInfoSchema, backup: BackupRefSchema });

/** The ConfigMap as `kubectl get cm aws-auth -o yaml` would print it: what parseAwsAuth reads. */
export function configMapText(data: Record<string, string>, resourceVersion?: string): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'aws-auth', namespace: 'kube-system', ...(resourceVersion ? { resourceVersion } : {}) },
    data,
  });
}

/**
 * Looks up the real ARN (with its path) of every IAM role or user a row names. Principals of
 * other accounts cannot be looked up from here and are kept as written.
 */
export async function resolveArns(doc: AwsAuthDocument, iam: IAMClient, accountId: string): Promise<Map<string, string | undefined>> {
  const reader = iamReader(iam);
  const arns = [...new Set(doc.rows.map((r) => r.arn).filter((a) => parsePrincipalArn(a)))];
  const resolved = await pLimit(TASK_CONCURRENCY).map(arns, async (arn): Promise<[string, string | undefined]> => {
    const principal = parsePrincipalArn(arn)!;
    if (principal.account !== accountId) return [arn, arn];
    return [arn, (await reader.getPrincipal(principal))?.arn];
  });
  return new Map(resolved);
}

/**
 * The Identity Center roles of each account an `sso` row names. Only the cluster's own account
 * can be read (the task's role reads IAM there). A listing that fails is not a failed run: the
 * rows it concerns are flagged as blockers naming the error, and nothing else changes.
 */
export async function listSsoRoles(doc: AwsAuthDocument, iam: IAMClient, accountId: string): Promise<Map<string, SsoRoleListing>> {
  // A row that writes `partition` matches nothing whatever the account holds (conversion-sso.ts).
  const accounts = new Set(doc.rows.flatMap((r) => (r.sso && !r.overriddenBy && !r.sso.partitionWritten ? [r.sso.accountId] : [])));
  const listings = new Map<string, SsoRoleListing>();
  for (const account of accounts) {
    if (account !== accountId) {
      listings.set(account, { unavailable: `account ${account} is not the cluster's account ${accountId}, the only one whose IAM roles the workflow reads` });
      continue;
    }
    try {
      listings.set(account, { roleArns: await iamReader(iam).listRoleArns(SSO_ROLE_PATH_PREFIX) });
    } catch (e) {
      const error = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      logger.warn('identity center roles not listed', { account, error });
      listings.set(account, { unavailable: `iam:ListRoles failed (${error})` });
    }
  }
  return listings;
}

export function makePlan(ports: AwsPorts) {
  return async function plan(event: unknown): Promise<PlanRef> {
    const { run, cluster, backup } = parseState(EventSchema, event, 'Plan conversion');
    const store = documentStore(ports.s3());
    const { value: saved } = await store.getJson<BackupDocument>(backup.bucket, backup.key, backup.versionId);

    const doc = parseAwsAuth(configMapText(saved.awsAuth.data, saved.awsAuth.resourceVersion));
    const accountId = cluster.arn.split(':')[4] ?? '';
    const resolved = doc.valid ? await resolveArns(doc, ports.iam(), accountId) : new Map<string, string | undefined>();
    const ssoRoles = doc.valid ? await listSsoRoles(doc, ports.iam(), accountId) : new Map<string, SsoRoleListing>();
    const conversion = planConversion(doc, {
      resolveArn: (arn) => (resolved.has(arn) ? resolved.get(arn) : arn),
      ssoRoles: (account) => ssoRoles.get(account) ?? { unavailable: `account ${account} was not looked up` },
      partition: partitionOf(run.region),
    });
    const annotated = annotatePlan(conversion, saved.accessEntries);
    const { rows } = annotated;
    // EKS's 3,000 entries per cluster: creating past it would fail halfway (kernel/quotas.ts).
    const quotaBlocker = accessEntryQuotaBlocker(rows, saved.accessEntries);
    const blockers = quotaBlocker ? [...conversion.blockers, quotaBlocker] : conversion.blockers;
    const summary = { ...annotated.summary, blockers: blockers.length };

    const key = documentKey('plans', run.clusterName, run.executionName, 'plan.json');
    const document: PlanDocument = {
      formatVersion: 1,
      cluster: { name: run.clusterName, region: run.region, authenticationMode: cluster.mode },
      execution: run.executionName,
      createdAt: ports.now().toISOString(),
      targetMode: run.targetMode,
      backup: { location: backup.location, versionId: backup.versionId, sha256: backup.sha256 },
      valid: conversion.valid,
      errors: conversion.errors,
      warnings: conversion.warnings ?? [],
      rows,
      blockers,
      summary,
    };
    let versionId: string | undefined;
    try {
      ({ versionId } = await store.createJson(run.bucket, key, document));
    } catch (e) {
      // A retry after a lost response: the plan of the same backup is the same plan.
      if (!(e instanceof ObjectExistsError)) throw e;
      ({ versionId } = await store.getJson<PlanDocument>(run.bucket, key));
    }
    const location = s3Location(run.bucket, key, versionId);
    logger.info('plan written', { key, ...summary });

    if (!conversion.valid && !run.dryRun) {
      throw new AwsAuthMalformedError(
        `aws-auth is malformed, so nothing is migrated: ${listWithin(conversion.errors.map((e) => `${e.where}: ${e.message}`))}. Plan: ${location}`,
      );
    }
    if (quotaBlocker && !run.dryRun) throw new AccessEntryQuotaError(`${quotaBlocker}; nothing was changed. Plan: ${location}`);
    return { bucket: run.bucket, key, location, summary };
  };
}

export const handler = instrument(makePlan(productionPorts), { metrics: false });
