/**
 * `metadata.managedFields` of a ConfigMap: which field manager set which fields (Kubernetes docs,
 * "Server-Side Apply", "Field management"). Every write records its manager — the `fieldManager`
 * query parameter, else the User-Agent up to its first `/` (k8s.io/apiserver
 * pkg/endpoints/handlers, `prefixFromUserAgent`) — with operation `Update`, in FieldsV1 form
 * (`{"f:data": {".": {}, "f:mapRoles": {}}}`; "." is the map itself).
 *
 * For an Update the manager comes to own the fields it set or changed, which no other manager
 * owns any longer; removed fields are owned by no one; a manager left owning nothing loses its
 * entry (docs, "Field management": "…the field manager of the Update operation becomes the owner
 * of the changed fields"). Only the fields the sandbox keeps are tracked (data, binaryData,
 * immutable, labels, annotations); the real field sets also list other metadata fields.
 */
import { isObject, jsonEqual, type Json, type JsonObject } from './patch.ts';

export interface ManagedFieldsEntry {
  manager: string;
  operation: 'Update';
  apiVersion: 'v1';
  time: string;
  fieldsType: 'FieldsV1';
  fieldsV1: JsonObject;
}

/** A field's path in FieldsV1 keys, e.g. ["f:data", "f:mapRoles"] or ["f:data", "."]. */
type FieldPath = string[];

const key = (p: FieldPath) => JSON.stringify(p);

/** The leaf fields of a ConfigMap with their values, and the maps that hold them. */
function fieldsOf(o: JsonObject): Map<string, Json> {
  const out = new Map<string, Json>();
  const map = (prefix: FieldPath, m: Json | undefined) => {
    if (!isObject(m)) return;
    out.set(key([...prefix, '.']), null);
    for (const [k, v] of Object.entries(m)) out.set(key([...prefix, `f:${k}`]), v);
  };
  map(['f:data'], o.data);
  map(['f:binaryData'], o.binaryData);
  if (o.immutable !== undefined) out.set(key(['f:immutable']), o.immutable);
  const meta = isObject(o.metadata) ? o.metadata : {};
  map(['f:metadata', 'f:labels'], meta.labels);
  map(['f:metadata', 'f:annotations'], meta.annotations);
  return out;
}

function toFieldsV1(paths: Iterable<string>): JsonObject {
  const root: JsonObject = {};
  for (const p of paths) {
    let node = root;
    for (const part of JSON.parse(p) as string[]) {
      const next = node[part];
      node = (isObject(next) ? next : (node[part] = {})) as JsonObject;
    }
  }
  return root;
}

function pathsOf(fields: Json, prefix: FieldPath = []): string[] {
  if (!isObject(fields)) return [];
  const entries = Object.entries(fields);
  if (entries.length === 0) return prefix.length ? [key(prefix)] : [];
  return entries.flatMap(([k, v]) => pathsOf(v, [...prefix, k]));
}

/**
 * The managedFields after `manager` wrote `after` over `before` (undefined for a create), at `now`.
 */
export function recordWrite(entries: ManagedFieldsEntry[], manager: string, before: JsonObject | undefined, after: JsonObject, now: Date): ManagedFieldsEntry[] {
  const old = before ? fieldsOf(before) : new Map<string, Json>();
  const next = fieldsOf(after);
  const changed = [...next].filter(([k, v]) => !old.has(k) || !jsonEqual(old.get(k), v)).map(([k]) => k);
  const removed = [...old.keys()].filter((k) => !next.has(k));
  const time = now.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const out: ManagedFieldsEntry[] = [];
  let mine = new Set<string>();
  for (const e of entries) {
    const owned = new Set(pathsOf(e.fieldsV1));
    if (e.manager === manager) {
      mine = owned;
      continue;
    }
    for (const k of [...changed, ...removed]) owned.delete(k);
    if (owned.size > 0) out.push({ ...e, fieldsV1: toFieldsV1(owned) });
  }
  for (const k of removed) mine.delete(k);
  for (const k of changed) mine.add(k);
  const previous = entries.find((e) => e.manager === manager);
  if (mine.size > 0) {
    const entry: ManagedFieldsEntry = { manager, operation: 'Update', apiVersion: 'v1', time: changed.length || !previous ? time : previous.time, fieldsType: 'FieldsV1', fieldsV1: toFieldsV1(mine) };
    const at = entries.findIndex((e) => e.manager === manager);
    // An existing manager keeps its place in the list; a new one is appended.
    out.splice(at < 0 ? out.length : Math.min(at, out.length), 0, entry);
  }
  return out;
}

/** k8s.io/apiserver pkg/endpoints/handlers/rest.go `prefixFromUserAgent`, capped at 128 characters. */
export function managerOf(fieldManager: string | undefined, userAgent: string | undefined): string {
  if (fieldManager) return fieldManager;
  return (userAgent ?? '').split('/')[0]!.slice(0, 128);
}
