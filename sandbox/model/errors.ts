// Constructors for the exceptions the model throws. They are the SDK's own classes, built the
// way the SDK's deserializer builds them, so adapter code that checks `instanceof` or
// `error.name` behaves the same against the model as against AWS.
import {
  EntityAlreadyExistsException,
  IAMServiceException,
  InvalidInputException,
  LimitExceededException,
  NoSuchEntityException,
} from '@aws-sdk/client-iam';
import {
  BadRequestException,
  InvalidParameterException,
  InvalidRequestException,
  NotFoundException,
  ResourceInUseException,
  ResourceLimitExceededException,
  ResourceNotFoundException,
} from '@aws-sdk/client-eks';

const meta = () => ({ $metadata: {} });

export const iamErrors = {
  noSuchEntity: (message: string) => new NoSuchEntityException({ message, ...meta() }),
  entityAlreadyExists: (message: string) => new EntityAlreadyExistsException({ message, ...meta() }),
  invalidInput: (message: string) => new InvalidInputException({ message, ...meta() }),
  limitExceeded: (message: string) => new LimitExceededException({ message, ...meta() }),
  /**
   * IAM reports constraint violations (patterns, lengths) as `ValidationError`, a code the IAM
   * service model does not declare. The SDK turns undeclared codes into the service's base
   * exception with `name` set to the code (@aws-sdk/core ProtocolLib
   * getErrorSchemaOrThrowBaseException); this does the same.
   * Real example (iam:CreateUser, comma in a tag value), SWO-GS/auto-tag#90:
   * "1 validation error detected: Value '…' at 'tags.6.member.value' failed to satisfy
   * constraint: Member must satisfy regular expression pattern: [\p{L}\p{Z}\p{N}_.:/=+\-@]*"
   */
  validation: (message: string) =>
    new IAMServiceException({ name: 'ValidationError', $fault: 'client', message, ...meta() }),
};

export const eksErrors = {
  invalidParameter: (message: string, clusterName?: string) =>
    new InvalidParameterException({ message, clusterName, ...meta() }),
  invalidRequest: (message: string, clusterName?: string) =>
    new InvalidRequestException({ message, clusterName, ...meta() }),
  resourceInUse: (message: string, clusterName?: string) =>
    new ResourceInUseException({ message, clusterName, ...meta() }),
  resourceNotFound: (message: string, clusterName?: string) =>
    new ResourceNotFoundException({ message, clusterName, ...meta() }),
  resourceLimitExceeded: (message: string, clusterName?: string) =>
    new ResourceLimitExceededException({ message, clusterName, ...meta() }),
  badRequest: (message: string) => new BadRequestException({ message, ...meta() }),
  notFound: (message: string) => new NotFoundException({ message, ...meta() }),
};

/** "1 validation error detected: …" in the wording AWS's request validation uses. */
export function constraintMessage(value: unknown, at: string, constraint: string): string {
  const shown = Array.isArray(value) ? `[${value.join(', ')}]` : String(value);
  return `1 validation error detected: Value '${shown}' at '${at}' failed to satisfy constraint: ${constraint}`;
}

/** Opaque pagination tokens: the offset into a stable ordering, base64url-encoded. */
export function encodeToken(offset: number): string {
  return Buffer.from(JSON.stringify({ o: offset }), 'utf8').toString('base64url');
}

/** Decodes a token from {@link encodeToken}; undefined when it is not one of ours. */
export function decodeToken(token: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && 'o' in parsed) {
      const o = (parsed as { o: unknown }).o;
      if (typeof o === 'number' && Number.isInteger(o) && o >= 0) return o;
    }
  } catch {
    // fall through: not a token we issued
  }
  return undefined;
}

/** Increments a per-operation counter (used by benchmarks to count API calls). */
export function count(calls: Map<string, number>, operation: string): void {
  calls.set(operation, (calls.get(operation) ?? 0) + 1);
}
