/**
 * The OpenAPI v3 documents kubectl reads (Kubernetes docs, "OpenAPI V3": GET /openapi/v3 lists one
 * document per group version, each at its `serverRelativeURL`), cut down to what the sandbox
 * serves in core/v1: ConfigMap and the metadata it carries. kubectl 1.32 uses them twice:
 *
 *  - `kubectl apply` builds its strategic merge patch from the schema whose
 *    `x-kubernetes-group-version-kind` is v1 ConfigMap (k8s.io/apimachinery strategicpatch,
 *    NewPatchMetaFromOpenAPIV3): plain maps, and the patch strategies of metadata's lists;
 *  - every write command checks whether the server validates fields itself (k8s.io/cli-runtime
 *    resource/query_param_verifier_v3.go, `supportsQueryParamV3`): the PATCH operation of the
 *    ConfigMap path must list the `fieldValidation` (and, for --dry-run=server, `dryRun`) query
 *    parameter; if it does, kubectl sends `fieldValidation=Strict` instead of validating locally
 *    against OpenAPI v2 (protobuf, which the sandbox does not serve).
 * Shapes and extensions as in the API server's own document (kubernetes/kubernetes
 * api/openapi-spec/v3/api__v1_openapi.json).
 */
import type { JsonObject } from './patch.ts';

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
const GVK = { 'x-kubernetes-group-version-kind': { group: '', kind: 'ConfigMap', version: 'v1' } };
const stringMap = { type: 'object', additionalProperties: { type: 'string', default: '' } };

/** GET /openapi/v3. The URLs are below the cluster's path prefix: kubectl requests them as given. */
export function openApiIndex(prefix: string): JsonObject {
  return { paths: { 'api/v1': { serverRelativeURL: `${prefix}/openapi/v3/api/v1?hash=SANDBOX0CONFIGMAPS` } } };
}

const query = (name: string, description: string) => ({ name, in: 'query', description, schema: { type: 'string', uniqueItems: true } });
const WRITE_PARAMS = [
  query('dryRun', 'When present, indicates that modifications should not be persisted. Valid value: All.'),
  query('fieldManager', 'A name associated with the actor or entity that is making these changes.'),
  query('fieldValidation', 'Ignore, Warn (the default) or Strict: what to do with unknown or duplicate fields.'),
];
const json = (schema: JsonObject) => ({ 'application/json': { schema } });
const answer = (codes: string[], schema: JsonObject) => Object.fromEntries(codes.map((c) => [c, { description: 'OK', content: json(schema) }]));

/** GET /openapi/v3/api/v1 */
export function openApiCoreV1(): JsonObject {
  const item = '/api/v1/namespaces/{namespace}/configmaps/{name}';
  const collection = '/api/v1/namespaces/{namespace}/configmaps';
  const pathParam = (name: string) => ({ name, in: 'path', required: true, schema: { type: 'string', uniqueItems: true } });
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes', version: 'v1.31.0 (eks-access-pilot sandbox)' },
    paths: {
      [collection]: {
        parameters: [pathParam('namespace')],
        get: { operationId: 'listCoreV1NamespacedConfigMap', ...GVK, 'x-kubernetes-action': 'list', responses: answer(['200'], ref('io.k8s.api.core.v1.ConfigMapList')) },
        post: {
          operationId: 'createCoreV1NamespacedConfigMap',
          ...GVK,
          'x-kubernetes-action': 'post',
          parameters: WRITE_PARAMS,
          requestBody: { content: json(ref('io.k8s.api.core.v1.ConfigMap')), required: true },
          responses: answer(['200', '201'], ref('io.k8s.api.core.v1.ConfigMap')),
        },
      },
      [item]: {
        parameters: [pathParam('name'), pathParam('namespace')],
        get: { operationId: 'readCoreV1NamespacedConfigMap', ...GVK, 'x-kubernetes-action': 'get', responses: answer(['200'], ref('io.k8s.api.core.v1.ConfigMap')) },
        put: {
          operationId: 'replaceCoreV1NamespacedConfigMap',
          ...GVK,
          'x-kubernetes-action': 'put',
          parameters: WRITE_PARAMS,
          requestBody: { content: json(ref('io.k8s.api.core.v1.ConfigMap')), required: true },
          responses: answer(['200'], ref('io.k8s.api.core.v1.ConfigMap')),
        },
        patch: {
          operationId: 'patchCoreV1NamespacedConfigMap',
          ...GVK,
          'x-kubernetes-action': 'patch',
          parameters: WRITE_PARAMS,
          requestBody: {
            content: Object.fromEntries(['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'].map((t) => [t, { schema: ref(`${META}.Patch`) }])),
            required: true,
          },
          responses: answer(['200'], ref('io.k8s.api.core.v1.ConfigMap')),
        },
        delete: { operationId: 'deleteCoreV1NamespacedConfigMap', ...GVK, 'x-kubernetes-action': 'delete', parameters: [WRITE_PARAMS[0]!], responses: answer(['200'], ref(`${META}.Status`)) },
      },
    },
    components: {
      schemas: {
        'io.k8s.api.core.v1.ConfigMap': {
          description: 'ConfigMap holds configuration data for pods to consume.',
          type: 'object',
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            metadata: { default: {}, allOf: [ref(`${META}.ObjectMeta`)] },
            data: stringMap,
            binaryData: { type: 'object', additionalProperties: { type: 'string', format: 'byte' } },
            immutable: { type: 'boolean' },
          },
          'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMap', version: 'v1' }],
        },
        'io.k8s.api.core.v1.ConfigMapList': {
          type: 'object',
          required: ['items'],
          properties: {
            apiVersion: { type: 'string' },
            kind: { type: 'string' },
            items: { type: 'array', items: { default: {}, allOf: [ref('io.k8s.api.core.v1.ConfigMap')] } },
            metadata: { default: {}, allOf: [ref(`${META}.ListMeta`)] },
          },
          'x-kubernetes-group-version-kind': [{ group: '', kind: 'ConfigMapList', version: 'v1' }],
        },
        [`${META}.ObjectMeta`]: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            generateName: { type: 'string' },
            namespace: { type: 'string' },
            uid: { type: 'string' },
            resourceVersion: { type: 'string' },
            generation: { type: 'integer', format: 'int64' },
            creationTimestamp: { type: 'string', format: 'date-time' },
            labels: stringMap,
            annotations: stringMap,
            finalizers: { type: 'array', items: { type: 'string', default: '' }, 'x-kubernetes-list-type': 'set', 'x-kubernetes-patch-strategy': 'merge' },
            ownerReferences: {
              type: 'array',
              items: { default: {}, allOf: [ref(`${META}.OwnerReference`)] },
              'x-kubernetes-list-map-keys': ['uid'],
              'x-kubernetes-list-type': 'map',
              'x-kubernetes-patch-merge-key': 'uid',
              'x-kubernetes-patch-strategy': 'merge',
            },
            managedFields: { type: 'array', items: { default: {}, allOf: [ref(`${META}.ManagedFieldsEntry`)] }, 'x-kubernetes-list-type': 'atomic' },
          },
        },
        [`${META}.OwnerReference`]: {
          type: 'object',
          required: ['apiVersion', 'kind', 'name', 'uid'],
          properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, name: { type: 'string' }, uid: { type: 'string' }, controller: { type: 'boolean' }, blockOwnerDeletion: { type: 'boolean' } },
          'x-kubernetes-map-type': 'atomic',
        },
        [`${META}.ManagedFieldsEntry`]: {
          type: 'object',
          properties: {
            apiVersion: { type: 'string' },
            fieldsType: { type: 'string' },
            fieldsV1: ref(`${META}.FieldsV1`),
            manager: { type: 'string' },
            operation: { type: 'string' },
            subresource: { type: 'string' },
            time: { type: 'string', format: 'date-time' },
          },
        },
        [`${META}.FieldsV1`]: { type: 'object' },
        [`${META}.ListMeta`]: { type: 'object', properties: { continue: { type: 'string' }, remainingItemCount: { type: 'integer', format: 'int64' }, resourceVersion: { type: 'string' } } },
        [`${META}.Patch`]: { type: 'object' },
        [`${META}.Status`]: {
          type: 'object',
          properties: { apiVersion: { type: 'string' }, kind: { type: 'string' }, code: { type: 'integer', format: 'int32' }, message: { type: 'string' }, reason: { type: 'string' }, status: { type: 'string' }, details: { type: 'object' } },
          'x-kubernetes-group-version-kind': [{ group: '', kind: 'Status', version: 'v1' }],
        },
      },
    },
  };
}
