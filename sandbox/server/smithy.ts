/**
 * The sandbox speaks each service's wire protocol from the same Smithy service model the SDK
 * clients are generated from: the `…$` schemas every v3 client exports (operation HTTP
 * bindings, member names and traits, error codes and statuses). So a route, a query key or an
 * error status is never re-typed by hand here, and a newer SDK that changes the model changes
 * the sandbox with it.
 */
import { NormalizedSchema } from '@smithy/core/schema';
import type { DescribeCluster$ } from '@aws-sdk/client-eks';

/** A client's static operation schema: `[9, namespace, name, traits, input, output]`. */
export type StaticOperation = typeof DescribeCluster$;
export type SchemaRef = Parameters<typeof NormalizedSchema.of>[0];

export interface Operation {
  /** Short name, e.g. `DescribeAccessEntry`. */
  name: string;
  namespace: string;
  traits: Record<string, unknown>;
  input: NormalizedSchema;
  output: NormalizedSchema;
  /** The output schema as the client module holds it, for building wrapper shapes around it. */
  outputRef: SchemaRef;
}

/** Reads a client's exported operation schema (the same tuple the client's Command carries). */
export function operationOf(schema: StaticOperation): Operation {
  const [, namespace, name, traits, input, output] = schema;
  return {
    name,
    namespace,
    traits: typeof traits === 'object' ? (traits as Record<string, unknown>) : {},
    input: NormalizedSchema.of(input as SchemaRef),
    output: NormalizedSchema.of(output as SchemaRef),
    outputRef: output as SchemaRef,
  };
}

export interface ErrorShape {
  /** The shape name, which is also the SDK exception class name (`NoSuchEntityException`). */
  name: string;
  schema: NormalizedSchema;
  traits: {
    error?: 'client' | 'server';
    httpError?: number;
    /** awsQuery services: the wire code and HTTP status (`['NoSuchEntity', 404]`). */
    awsQueryError?: [string, number];
  };
}

/**
 * The error shapes a client module declares, by shape name. `module` is the client's namespace
 * import (`import * as iamApi from '@aws-sdk/client-iam'`): every modelled error is exported as
 * `<Name>$`, a static error schema whose first element is -3.
 */
export function errorShapes(module: Record<string, unknown>): Map<string, ErrorShape> {
  const out = new Map<string, ErrorShape>();
  for (const [exportName, value] of Object.entries(module)) {
    if (!exportName.endsWith('$') || !Array.isArray(value) || value[0] !== -3) continue;
    const schema = NormalizedSchema.of(value as SchemaRef);
    const name = schema.getName() ?? exportName.slice(0, -1);
    out.set(name, { name, schema, traits: schema.getMergedTraits() as ErrorShape['traits'] });
  }
  return out;
}

/** The members of a structure schema with their traits, in model order. */
export function members(schema: NormalizedSchema): Array<[string, NormalizedSchema, Record<string, unknown>]> {
  if (!schema.isStructSchema()) return [];
  return [...schema.structIterator()].map(([name, member]) => [name, member, member.getMergedTraits() as Record<string, unknown>]);
}

/** Converts a string from a URI label, query parameter or header into the member's type. */
export function fromString(schema: NormalizedSchema, raw: string): unknown {
  if (schema.isNumericSchema()) return Number(raw);
  if (schema.isBooleanSchema()) return raw === 'true';
  if (schema.isTimestampSchema()) return /^\d+(\.\d+)?$/.test(raw) ? new Date(Number(raw) * 1000) : new Date(raw);
  return raw;
}
