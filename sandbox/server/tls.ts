/**
 * A certificate authority and a server certificate for 127.0.0.1, made fresh for each sandbox.
 * The Kubernetes API is served over TLS because that is how EKS serves it and how the
 * production client talks to it: @kubernetes/client-node 1.4.0 refuses an `http:` server unless
 * TLS verification is skipped, and the migration's client never skips it. DescribeCluster returns
 * this CA as `certificateAuthority.data`, exactly as EKS returns its cluster CA.
 *
 * Node can make keys and signatures but not certificates, so this writes the X.509 DER itself
 * (RFC 5280 §4.1): EC P-256 keys, ECDSA with SHA-256, a CA with basicConstraints cA and
 * keyCertSign, a leaf with subjectAltName IP 127.0.0.1 and DNS localhost (Node checks the IP SAN
 * for an IP host, RFC 6125 / tls.checkServerIdentity).
 */
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

// ----- DER (X.690) -----

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, ...content: Buffer[]) => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...c: Buffer[]) => tlv(0x30, ...c);
const set = (...c: Buffer[]) => tlv(0x31, ...c);
const explicit = (n: number, ...c: Buffer[]) => tlv(0xa0 + n, ...c);
const octets = (b: Buffer) => tlv(0x04, b);
const bits = (b: Buffer, unused = 0) => tlv(0x03, Buffer.from([unused]), b);
const bool = (v: boolean) => tlv(0x01, Buffer.from([v ? 0xff : 0x00]));
const utf8 = (s: string) => tlv(0x0c, Buffer.from(s, 'utf8'));

/** A non-negative INTEGER from big-endian bytes, in DER's minimal form (X.690 §8.3.2). */
export function integer(b: Buffer): Buffer {
  // Leading zero bytes are not minimal (a random serial starting with 0x00 made OpenSSL reject
  // the certificate with "illegal padding" now and then); keep one byte at least.
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  // INTEGER is two's complement: a leading 1 bit would make it negative.
  return tlv(0x02, v[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
}

function oid(dotted: string): Buffer {
  const [a, b, ...rest] = dotted.split('.').map(Number) as [number, number, ...number[]];
  const out = [40 * a + b];
  for (const n of rest) {
    const chunk: number[] = [];
    for (let v = n; ; v = Math.floor(v / 128)) {
      chunk.unshift((v % 128) | (chunk.length ? 0x80 : 0));
      if (v < 128) break;
    }
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}

/** UTCTime (years 1950–2049), RFC 5280 §4.1.2.5.1: YYMMDDHHMMSSZ. */
function utcTime(d: Date): Buffer {
  const iso = d.toISOString();
  return tlv(0x17, Buffer.from(`${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`));
}

const name = (cn: string) => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));
const extension = (id: string, critical: boolean, value: Buffer) => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

function keyId(key: KeyObject): Buffer {
  return createHash('sha1').update(key.export({ type: 'spki', format: 'der' })).digest();
}

function certificate(o: {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  issuerPublicKey: KeyObject;
  signingKey: KeyObject;
  ca: boolean;
  notBefore: Date;
  notAfter: Date;
}): string {
  const extensions = [
    extension('2.5.29.19', true, seq(...(o.ca ? [bool(true)] : []))),
    // keyCertSign|cRLSign for the CA (bits 5, 6); digitalSignature for the server (bit 0).
    extension('2.5.29.15', true, o.ca ? bits(Buffer.from([0x06]), 1) : bits(Buffer.from([0x80]), 7)),
    extension('2.5.29.14', false, octets(keyId(o.publicKey))),
    extension('2.5.29.35', false, seq(tlv(0x80, keyId(o.issuerPublicKey)))),
  ];
  if (!o.ca) {
    // GeneralName iPAddress [7] and dNSName [2], implicitly tagged.
    extensions.push(extension('2.5.29.17', false, seq(tlv(0x87, Buffer.from([127, 0, 0, 1])), tlv(0x82, Buffer.from('localhost')))));
    // extKeyUsage serverAuth.
    extensions.push(extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))));
  }
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(randomBytes(16)),
    ECDSA_SHA256,
    name(o.issuer),
    seq(utcTime(o.notBefore), utcTime(o.notAfter)),
    name(o.subject),
    o.publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, o.signingKey);
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  const b64 = der.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

export interface ServerTls {
  /** PEM of the CA; its base64 is what DescribeCluster reports as `certificateAuthority.data`. */
  caPem: string;
  /** PEM of the server certificate followed by the CA (the chain a TLS server sends). */
  certPem: string;
  keyPem: string;
}

/** A new CA and a server certificate for 127.0.0.1 signed by it, valid from an hour ago for a year. */
export function makeServerTls(now = new Date()): ServerTls {
  const ca = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const server = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const notBefore = new Date(now.getTime() - 3600_000);
  const notAfter = new Date(now.getTime() + 365 * 86400_000);
  const caPem = certificate({ subject: 'sandbox-kubernetes-ca', issuer: 'sandbox-kubernetes-ca', publicKey: ca.publicKey, issuerPublicKey: ca.publicKey, signingKey: ca.privateKey, ca: true, notBefore, notAfter });
  const leafPem = certificate({ subject: 'kube-apiserver', issuer: 'sandbox-kubernetes-ca', publicKey: server.publicKey, issuerPublicKey: ca.publicKey, signingKey: ca.privateKey, ca: false, notBefore, notAfter });
  return { caPem, certPem: leafPem + caPem, keyPem: server.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
