/**
 * The answers AWS gives a request it refuses before serving it, in each protocol's wire format:
 * an IAM denial (AccessDenied / AccessDeniedException) and a failed authentication (unknown key,
 * bad signature). The SDK maps each code to its exception class, so the product sees exactly what
 * it would see in AWS.
 *
 * Sources: EKS API reference, "Common Errors" (AccessDeniedException 403,
 * InvalidSignatureException 403, UnrecognizedClientException 403); IAM and STS API references,
 * "Common Errors" (AccessDenied 403, InvalidClientTokenId 403, SignatureDoesNotMatch 403);
 * Amazon S3 API reference, "Error responses" (AccessDenied, InvalidAccessKeyId,
 * SignatureDoesNotMatch: 403); Step Functions API reference, "Common Errors" (awsJson1_0:
 * AccessDeniedException, InvalidSignatureException, UnrecognizedClientException, all 400), and the
 * same for the other JSON services (CloudTrail, EventBridge: their API references' "Common Errors");
 * SQS, JSON with query compatibility, also names the query code in `x-amzn-query-error`
 * (AccessDenied, InvalidClientTokenId, SignatureDoesNotMatch: SQS API reference, "Common Errors");
 * CloudFormation, a query service, answers as IAM does. IAM Identity Center (sso-admin, awsJson1_1)
 * models AccessDeniedException with @httpError 403 (its service model), so its refusal is a 403.
 * EventBridge Scheduler (restJson1) does not model AccessDeniedException; it answers as EKS does
 * (inferred: the other restJson1 service here; not checked against AWS).
 */
import type { SandboxRequest, SandboxResponse } from '#sandbox/server/router';

export type Refusal = 'AccessDenied' | 'UnknownKey' | 'BadSignature';

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const QUERY_NAMESPACES: Record<string, string> = {
  iam: 'https://iam.amazonaws.com/doc/2010-05-08/',
  sts: 'https://sts.amazonaws.com/doc/2011-06-15/',
  cloudformation: 'http://cloudformation.amazonaws.com/doc/2010-05-15/',
};

/** The restJson1 services: the code in `x-amzn-errortype`, 403. */
const REST_JSON_SERVICES = new Set(['eks', 'scheduler']);
/** The awsJson services and their JSON version (the content type of their answers). */
const JSON_SERVICES: Record<string, string> = { states: '1.0', cloudtrail: '1.1', events: '1.1', sqs: '1.0', sso: '1.1' };
/** Statuses a JSON service's model gives its AccessDeniedException (the rest answer 400). */
const JSON_ACCESS_DENIED_STATUS: Record<string, number> = { sso: 403 };

function codeFor(service: string, refusal: Refusal): string {
  if (REST_JSON_SERVICES.has(service) || service in JSON_SERVICES) {
    return { AccessDenied: 'AccessDeniedException', UnknownKey: 'UnrecognizedClientException', BadSignature: 'InvalidSignatureException' }[refusal];
  }
  if (service === 's3') return { AccessDenied: 'AccessDenied', UnknownKey: 'InvalidAccessKeyId', BadSignature: 'SignatureDoesNotMatch' }[refusal];
  return { AccessDenied: 'AccessDenied', UnknownKey: 'InvalidClientTokenId', BadSignature: 'SignatureDoesNotMatch' }[refusal];
}

/** The refusal of `req`, addressed to the service it was signed for. */
export function refusalResponse(req: SandboxRequest, service: string, refusal: Refusal, message: string): SandboxResponse {
  const code = codeFor(service, refusal);
  const requestId = req.requestId;
  if (REST_JSON_SERVICES.has(service)) {
    return { status: 403, headers: { 'content-type': 'application/json', 'x-amzn-errortype': code, 'x-amzn-requestid': requestId }, body: JSON.stringify({ message }) };
  }
  if (service === 'sqs') {
    const queryCode = { AccessDenied: 'AccessDenied', UnknownKey: 'InvalidClientTokenId', BadSignature: 'SignatureDoesNotMatch' }[refusal];
    return {
      status: 403,
      headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': requestId, 'x-amzn-query-error': `${queryCode};Sender` },
      body: JSON.stringify({ __type: `com.amazon.coral.service#${code}`, message }),
    };
  }
  if (service in JSON_SERVICES) {
    const status = refusal === 'AccessDenied' ? (JSON_ACCESS_DENIED_STATUS[service] ?? 400) : 400;
    return { status, headers: { 'content-type': `application/x-amz-json-${JSON_SERVICES[service]!}`, 'x-amzn-requestid': requestId }, body: JSON.stringify({ __type: code, message }) };
  }
  if (service === 's3') {
    const body = req.method === 'HEAD' ? '' : `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>${requestId}</RequestId><HostId>sandbox</HostId></Error>`;
    return { status: 403, headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId }, body };
  }
  const ns = QUERY_NAMESPACES[service] ?? QUERY_NAMESPACES.iam!;
  const body = `<ErrorResponse xmlns="${ns}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
  return { status: 403, headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId }, body };
}
