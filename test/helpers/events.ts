/**
 * Sample events for tests. The files in `events/` are fixtures and documentation at once;
 * each test gets its own deep copy, so mutating one to build a malformed variant cannot
 * leak into another test.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { EventBridgeEvent } from 'aws-lambda';

/** The CloudTrail record in `detail`, typed loosely enough that tests can break it on purpose. */
export interface CloudTrailDetail {
  eventVersion: string;
  userIdentity: Record<string, unknown>;
  eventTime: string;
  eventSource: string;
  eventName: string;
  awsRegion: string;
  sourceIPAddress: string;
  userAgent: string;
  errorCode?: string;
  errorMessage?: string;
  requestParameters: Record<string, unknown> | null;
  responseElements: Record<string, unknown> | null;
  requestID: string;
  eventID: string;
  readOnly: boolean;
  eventType: string;
  managementEvent: boolean;
  recipientAccountId: string;
  eventCategory: string;
  [field: string]: unknown;
}

export type IamApiCallEvent = EventBridgeEvent<'AWS API Call via CloudTrail', CloudTrailDetail>;

// Resolved from this file, never from the working directory: tests run from anywhere.
const REPO_ROOT = new URL('../../', import.meta.url);

/** Parses a JSON file given relative to the repository root (`events/iam/tag-role.json`). */
export function loadJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(fileURLToPath(new URL(path, REPO_ROOT)), 'utf8')) as T;
}

/** Absolute path of `events/<name>.json`, for code under test that reads files itself (the CLI). */
export function eventPath(name: string): string {
  return fileURLToPath(new URL(`events/${name}.json`, REPO_ROOT));
}

const cache = new Map<string, IamApiCallEvent>();

/** A fresh deep copy of `events/<name>.json`, e.g. `loadEvent('iam/tag-role')`. */
export function loadEvent(name: string): IamApiCallEvent {
  let event = cache.get(name);
  if (!event) {
    event = loadJson<IamApiCallEvent>(`events/${name}.json`);
    cache.set(name, event);
  }
  return structuredClone(event);
}
