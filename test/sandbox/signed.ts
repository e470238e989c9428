// A raw HTTP request to the sandbox, SigV4-signed with the sandbox's own key, for tests that pin
// bytes on the wire (an XML root, a JSON error body) rather than what an SDK client makes of them.
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Sandbox } from '#sandbox/server/index';

export interface RawRequest {
  /** The SigV4 signing name: s3, iam, sts, states, eks. */
  service: string;
  region: string;
  method?: string;
  /** As sent on the wire (already percent-encoded). */
  path?: string;
  query?: Record<string, string>;
  headers?: Record<string, string>;
  body?: string;
}

export async function signedFetch(sandbox: Sandbox, r: RawRequest): Promise<Response> {
  const url = new URL(sandbox.url);
  const method = r.method ?? 'GET';
  const path = r.path ?? '/';
  const query = r.query ?? {};
  const request = new HttpRequest({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path,
    query,
    headers: { host: url.host, ...r.headers },
    ...(r.body !== undefined ? { body: r.body } : {}),
  });
  const signer = new SignatureV4({
    credentials: { accessKeyId: sandbox.env.AWS_ACCESS_KEY_ID!, secretAccessKey: sandbox.env.AWS_SECRET_ACCESS_KEY! },
    region: r.region,
    service: r.service,
    sha256: Sha256,
    // S3 signs the path as sent; every other service encodes it once more (SigV4, "Create a canonical request").
    uriEscapePath: r.service !== 's3',
  });
  const signed = await signer.sign(request);
  const search = new URLSearchParams(query).toString();
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== 'host'));
  return fetch(`${sandbox.url}${path}${search ? `?${search}` : ''}`, { method, headers, ...(r.body !== undefined ? { body: r.body } : {}) });
}
