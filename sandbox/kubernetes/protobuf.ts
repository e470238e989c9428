/**
 * Just enough Kubernetes protobuf to read the bodies kubectl 1.32 sends that way: `kubectl auth
 * can-i` posts a SelfSubjectAccessReview and `kubectl create configmap` a ConfigMap with
 * Content-Type application/vnd.kubernetes.protobuf (client-go's typed clients default to protobuf
 * for built-in types, and do not fall back to JSON on 415 as they do for CBOR). The answers are
 * JSON, which those clients also accept.
 *
 * The wire format (k8s.io/apimachinery pkg/runtime/serializer/protobuf): the magic `k8s\0`, then a
 * runtime.Unknown message — typeMeta = 1 (apiVersion = 1, kind = 2), raw = 2 (the object's own
 * message), contentEncoding = 3, contentType = 4. The review (k8s.io/api authorization/v1
 * generated.proto): SelfSubjectAccessReview spec = 2; its spec resourceAttributes = 1,
 * nonResourceAttributes = 2; ResourceAttributes namespace = 1, verb = 2, group = 3, version = 4,
 * resource = 5, subresource = 6, name = 7; NonResourceAttributes path = 1, verb = 2. The ConfigMap
 * (k8s.io/api core/v1 generated.proto): metadata = 1, data = 2, binaryData = 3, immutable = 4;
 * ObjectMeta name = 1, generateName = 2, namespace = 3, uid = 5, resourceVersion = 6, labels = 11,
 * annotations = 12; a map is repeated entries of key = 1, value = 2. Protocol buffers encoding:
 * varint keys (field << 3 | wire type); wire type 0 is a varint, 2 is length-delimited.
 */
import type { JsonObject } from './patch.ts';

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';
const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** The length-delimited fields of a message, by field number, and its varints (fixed-width ones are skipped). */
function fields(buf: Buffer): Map<number, Buffer[]> & { varints: Map<number, number> } {
  const out = Object.assign(new Map<number, Buffer[]>(), { varints: new Map<number, number>() });
  let i = 0;
  const varint = () => {
    let v = 0;
    let shift = 0;
    for (;;) {
      if (i >= buf.length) throw new Error('truncated protobuf varint');
      const b = buf[i++]!;
      v += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return v;
      shift += 7;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0:
        out.varints.set(field, varint());
        break;
      case 1:
        i += 8;
        break;
      case 5:
        i += 4;
        break;
      case 2: {
        const n = varint();
        if (i + n > buf.length) throw new Error('truncated protobuf field');
        out.set(field, [...(out.get(field) ?? []), buf.subarray(i, i + n)]);
        i += n;
        break;
      }
      default:
        throw new Error(`unsupported protobuf wire type ${key & 7}`);
    }
  }
  return out;
}

const str = (m: Map<number, Buffer[]>, n: number) => m.get(n)?.[0]?.toString('utf8');
const sub = (m: Map<number, Buffer[]>, n: number) => {
  const b = m.get(n)?.[0];
  return b ? fields(b) : undefined;
};

/** The envelope's object message, after checking its kind. */
function unwrap(body: Buffer, expected: string): { apiVersion: string | undefined; message: ReturnType<typeof fields> } {
  if (!body.subarray(0, 4).equals(MAGIC)) throw new Error('not a Kubernetes protobuf message (no k8s\\0 prefix)');
  const unknown = fields(body.subarray(4));
  const typeMeta = sub(unknown, 1);
  const kind = typeMeta && str(typeMeta, 2);
  if (kind !== expected) throw new Error(`expected a ${expected}, got ${kind ?? 'no kind'}`);
  return { apiVersion: typeMeta && str(typeMeta, 1), message: fields(unknown.get(2)?.[0] ?? Buffer.alloc(0)) };
}

/** A protobuf map<string, string> field as an object. */
function stringMap(m: Map<number, Buffer[]>, n: number, value: (b: Buffer) => string = (b) => b.toString('utf8')): Record<string, string> | undefined {
  const entries = m.get(n);
  if (!entries) return undefined;
  return Object.fromEntries(entries.map((e) => fields(e)).map((kv) => [str(kv, 1) ?? '', value(kv.get(2)?.[0] ?? Buffer.alloc(0))]));
}

/** A protobuf ConfigMap as its JSON form. @throws Error when it is not one. */
export function decodeConfigMap(body: Buffer): JsonObject {
  const { message: cm } = unwrap(body, 'ConfigMap');
  const meta = sub(cm, 1) ?? fields(Buffer.alloc(0));
  const metadata: JsonObject = {};
  for (const [k, n] of [['name', 1], ['generateName', 2], ['namespace', 3], ['uid', 5], ['resourceVersion', 6]] as const) {
    const v = str(meta, n);
    if (v) metadata[k] = v;
  }
  const labels = stringMap(meta, 11);
  const annotations = stringMap(meta, 12);
  const data = stringMap(cm, 2);
  const binaryData = stringMap(cm, 3, (b) => b.toString('base64'));
  const immutable = cm.varints.get(4);
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { ...metadata, ...(labels ? { labels } : {}), ...(annotations ? { annotations } : {}) },
    ...(data ? { data } : {}),
    ...(binaryData ? { binaryData } : {}),
    ...(immutable !== undefined ? { immutable: immutable !== 0 } : {}),
  };
}

/** A protobuf SelfSubjectAccessReview as its JSON form. @throws Error when it is not one. */
export function decodeSelfSubjectAccessReview(body: Buffer): JsonObject {
  const { apiVersion, message: review } = unwrap(body, 'SelfSubjectAccessReview');
  const spec = sub(review, 2) ?? new Map<number, Buffer[]>();
  const out: JsonObject = {};
  const resource = sub(spec, 1);
  if (resource) {
    const names = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'];
    out.resourceAttributes = Object.fromEntries(names.map((k, i) => [k, str(resource, i + 1)]).filter(([, v]) => v !== undefined));
  }
  const nonResource = sub(spec, 2);
  if (nonResource) out.nonResourceAttributes = Object.fromEntries([['path', str(nonResource, 1)], ['verb', str(nonResource, 2)]].filter(([, v]) => v !== undefined));
  return { kind: 'SelfSubjectAccessReview', apiVersion: apiVersion ?? 'authorization.k8s.io/v1', spec: out };
}
