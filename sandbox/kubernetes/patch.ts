/**
 * The three patch types the API server accepts from kubectl and client libraries (Kubernetes API
 * concepts, "Patch operations"), applied to a JSON object:
 *
 *  - application/merge-patch+json: JSON merge patch (RFC 7386): objects merge key by key, `null`
 *    removes a key, anything else (lists included) replaces.
 *  - application/strategic-merge-patch+json: the same for the fields a ConfigMap has (data,
 *    binaryData, labels, annotations are plain maps; apimachinery pkg/util/strategicpatch), plus the
 *    map directives `$patch: replace` (the map becomes the patch's), `$patch: delete` (the map is
 *    removed) and `$retainKeys` (keys not listed are dropped). `$setElementOrder/<list>` only orders
 *    list elements that have a merge key; the ConfigMap fields the sandbox keeps have none, so it is
 *    ignored. Other directives are refused.
 *  - application/json-patch+json: JSON patch (RFC 6902) operations add, remove, replace, move,
 *    copy and test, on JSON pointers (RFC 6901).
 *
 * Errors carry the HTTP status the API server answers with: a body that is not the patch type's
 * shape is 400 BadRequest; an operation that cannot apply is 422 Invalid.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export class PatchError extends Error {
  constructor(
    readonly code: 400 | 422,
    message: string,
  ) {
    super(message);
    this.name = 'PatchError';
  }
}

export const isObject = (v: unknown): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** RFC 7386, section 2 (MergePatch). */
export function mergePatch(target: Json | undefined, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const out: JsonObject = isObject(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function strategicMergePatch(target: Json | undefined, patch: Json): Json | undefined {
  if (!isObject(patch)) return structuredClone(patch);
  const directive = patch.$patch;
  if (directive === 'delete') return undefined;
  if (directive !== undefined && directive !== 'replace' && directive !== 'merge') throw new PatchError(400, `unknown patch type: ${JSON.stringify(directive)} in map`);
  const retain = patch.$retainKeys;
  if (retain !== undefined && !(Array.isArray(retain) && retain.every((k) => typeof k === 'string'))) throw new PatchError(400, '$retainKeys must be a list of strings');
  let out: JsonObject = directive === 'replace' || !isObject(target) ? {} : { ...target };
  if (Array.isArray(retain)) out = Object.fromEntries(Object.entries(out).filter(([k]) => (retain as string[]).includes(k)));
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$')) throw new PatchError(400, `the sandbox does not support the strategic merge patch directive ${k}`);
    if (v === null) {
      delete out[k];
      continue;
    }
    const merged = strategicMergePatch(directive === 'replace' ? undefined : out[k], v);
    if (merged === undefined) delete out[k];
    else out[k] = merged;
  }
  return out;
}

interface Operation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

/** RFC 6901: "" is the whole document; `~1` is `/`, `~0` is `~`. */
function pointer(p: string): string[] {
  if (p === '') return [];
  if (!p.startsWith('/')) throw new PatchError(422, `JSON pointer must start with /: ${p}`);
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function parentOf(doc: Json, tokens: string[], op: string, path: string): { parent: JsonObject | Json[]; key: string } {
  let node: Json = doc;
  for (const t of tokens.slice(0, -1)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(t)] : isObject(node) ? node[t] : undefined;
    if (next === undefined) throw new PatchError(422, `${op} operation does not apply: doc is missing path: ${path}`);
    node = next;
  }
  if (!Array.isArray(node) && !isObject(node)) throw new PatchError(422, `${op} operation does not apply: doc is missing path: ${path}`);
  return { parent: node, key: tokens.at(-1)! };
}

function get(doc: Json, path: string, op: string): Json {
  let node: Json = doc;
  for (const t of pointer(path)) {
    const next: Json | undefined = Array.isArray(node) ? node[Number(t)] : isObject(node) ? node[t] : undefined;
    if (next === undefined) throw new PatchError(422, `${op} operation does not apply: doc is missing key: ${path}`);
    node = next;
  }
  return node;
}

function remove(doc: Json, path: string, op: string): Json {
  const { parent, key } = parentOf(doc, pointer(path), op, path);
  if (Array.isArray(parent)) {
    const i = Number(key);
    if (!Number.isInteger(i) || i < 0 || i >= parent.length) throw new PatchError(422, `${op} operation does not apply: doc is missing key: ${path}`);
    return parent.splice(i, 1)[0]!;
  }
  if (!(key in parent)) throw new PatchError(422, `${op} operation does not apply: doc is missing key: ${path}`);
  const old = parent[key]!;
  delete parent[key];
  return old;
}

function add(doc: Json, path: string, value: Json, op: string): Json {
  const tokens = pointer(path);
  if (tokens.length === 0) return value;
  const { parent, key } = parentOf(doc, tokens, op, path);
  if (Array.isArray(parent)) {
    const i = key === '-' ? parent.length : Number(key);
    if (!Number.isInteger(i) || i < 0 || i > parent.length) throw new PatchError(422, `${op} operation does not apply: index out of bounds: ${path}`);
    parent.splice(i, 0, value);
  } else {
    parent[key] = value;
  }
  return doc;
}

/** RFC 6902, section 4; the operations apply in order, and the first that fails fails the patch. */
export function jsonPatch(document: Json, ops: unknown): Json {
  if (!Array.isArray(ops)) throw new PatchError(400, 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  let doc = structuredClone(document);
  for (const raw of ops as unknown[]) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') throw new PatchError(400, 'a JSON patch operation needs "op" and "path"');
    const op = raw as unknown as Operation;
    switch (op.op) {
      case 'add':
        if (!('value' in raw)) throw new PatchError(422, `add operation has no value: ${op.path}`);
        doc = add(doc, op.path, structuredClone(op.value!), 'add');
        break;
      case 'remove':
        remove(doc, op.path, 'remove');
        break;
      case 'replace':
        if (!('value' in raw)) throw new PatchError(422, `replace operation has no value: ${op.path}`);
        if (op.path === '') doc = structuredClone(op.value!);
        else {
          remove(doc, op.path, 'replace');
          doc = add(doc, op.path, structuredClone(op.value!), 'replace');
        }
        break;
      case 'move':
      case 'copy': {
        if (typeof op.from !== 'string') throw new PatchError(422, `${op.op} operation has no "from"`);
        const value = op.op === 'move' ? remove(doc, op.from, op.op) : structuredClone(get(doc, op.from, op.op));
        doc = add(doc, op.path, value, op.op);
        break;
      }
      case 'test':
        if (JSON.stringify(canonical(get(doc, op.path, 'test'))) !== JSON.stringify(canonical(op.value ?? null))) throw new PatchError(422, `testing value ${op.path} failed: test failed`);
        break;
      default:
        throw new PatchError(400, `unexpected kind of operation: ${op.op}`);
    }
  }
  return doc;
}

/** The value with object keys sorted, so equal JSON compares equal whatever the key order. */
function canonical(v: Json): Json {
  if (Array.isArray(v)) return v.map(canonical);
  if (isObject(v)) return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical(v[k]!)]));
  return v;
}

/** Whether two JSON values are equal, whatever the order of object keys. */
export function jsonEqual(a: Json | undefined, b: Json | undefined): boolean {
  return JSON.stringify(a === undefined ? null : canonical(a)) === JSON.stringify(b === undefined ? null : canonical(b));
}
