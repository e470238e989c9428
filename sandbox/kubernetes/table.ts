/**
 * Server-side printing (Kubernetes API concepts, "Receiving resources as Tables"): `kubectl get`
 * without `-o` asks for `application/json;as=Table;v=v1;g=meta.k8s.io` and prints the columns the
 * server sends. A ConfigMap's columns are NAME, DATA (the number of keys in data and binaryData)
 * and AGE (k8s.io/kubernetes pkg/printers/internalversion, `printConfigMap`); each row carries the
 * object's metadata (`includeObject=Metadata`, the default).
 */
import { isObject, type JsonObject } from './patch.ts';

export function wantsTable(accept: string | string[] | undefined): boolean {
  const first = String(accept ?? '').split(',')[0] ?? '';
  return /as=Table/.test(first) && /g=meta\.k8s\.io/.test(first);
}

/** duration.HumanDuration, short form: seconds, minutes, hours, then days. */
function age(created: unknown, now: Date): string {
  const s = Math.max(0, Math.floor((now.getTime() - new Date(String(created)).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 3 * 3600) return `${Math.floor(s / 60)}m`;
  if (s < 48 * 3600) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** A ConfigMap or a ConfigMapList as a meta.k8s.io/v1 Table. */
export function configMapTable(o: JsonObject, now = new Date()): JsonObject {
  const items = o.kind === 'ConfigMapList' && Array.isArray(o.items) ? o.items.filter(isObject) : [o];
  const meta = isObject(o.metadata) ? o.metadata : {};
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion: String(meta.resourceVersion ?? '') },
    columnDefinitions: [
      { name: 'Name', type: 'string', format: 'name', description: 'Name must be unique within a namespace.', priority: 0 },
      { name: 'Data', type: 'integer', format: '', description: 'Data contains the configuration data.', priority: 0 },
      { name: 'Age', type: 'string', format: '', description: 'CreationTimestamp is a timestamp representing the server time when this object was created.', priority: 0 },
    ],
    rows: items.map((cm) => {
      const m = isObject(cm.metadata) ? cm.metadata : {};
      const keys = Object.keys(isObject(cm.data) ? cm.data : {}).length + Object.keys(isObject(cm.binaryData) ? cm.binaryData : {}).length;
      return { cells: [String(m.name ?? ''), keys, age(m.creationTimestamp, now)], object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: m } };
    }),
  };
}
