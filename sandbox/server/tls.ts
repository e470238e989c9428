/**
 * A certificate authority and a server certificate for 127.0.0.1, made fresh for each sandbox.
 * The Kubernetes API is served over TLS because that is how EKS serves it and how the
 * production client talks to it: @kubernetes/client-node 1.4.0 refuses an `http:` server unless
 * TLS verification is skipped, and the migration's client never skips it. DescribeCluster returns
 * this CA as `certificateAuthority.data`, exactly as EKS returns its cluster CA.
 *
 * Node makes the keys (EC P-256) and the ECDSA-with-SHA-256 signatures; @peculiar/asn1-x509 (the
 * RFC 5280 schema under @peculiar/x509) lays out and DER-encodes the certificates. @peculiar/x509's
 * own generator is not used: it is asynchronous and needs a global Reflect polyfill, and
 * `makeServerTls` is called synchronously.
 */
import { createHash, generateKeyPairSync, randomBytes, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyIdentifier,
  KeyUsage,
  KeyUsageFlags,
  Name,
  RelativeDistinguishedName,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  Validity,
  Version,
  id_ce_authorityKeyIdentifier,
  id_ce_basicConstraints,
  id_ce_extKeyUsage,
  id_ce_keyUsage,
  id_ce_subjectAltName,
  id_ce_subjectKeyIdentifier,
  id_kp_serverAuth,
} from '@peculiar/asn1-x509';

/** ecdsa-with-SHA256, whose parameters MUST be absent (RFC 5758 §3.2). */
const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';
/** id-at-commonName (RFC 5280 Appendix A.1). */
const COMMON_NAME = '2.5.4.3';

const name = (cn: string) =>
  new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: COMMON_NAME, value: new AttributeValue({ utf8String: cn }) })])]);

/** An extension's extnValue is the DER of its value, wrapped in an OCTET STRING (RFC 5280 §4.1). */
const extension = (extnID: string, critical: boolean, value: object) =>
  new Extension({ extnID, critical, extnValue: new OctetString(AsnConvert.serialize(value)) });

interface Party {
  cn: string;
  spki: SubjectPublicKeyInfo;
  /** SHA-1 of the subjectPublicKey BIT STRING: method (1) of RFC 5280 §4.2.1.2. */
  keyId: ArrayBuffer;
}

function party(cn: string, publicKey: KeyObject): Party {
  const spki = AsnConvert.parse(publicKey.export({ type: 'spki', format: 'der' }), SubjectPublicKeyInfo);
  const digest = createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest();
  return { cn, spki, keyId: new Uint8Array(digest).buffer };
}

/**
 * A random serial. RFC 5280 §4.1.2.2 wants a positive INTEGER of at most 20 octets, and
 * asn1-x509 writes these octets as the INTEGER's content as they are: a first octet of 0x00 would
 * not be minimal DER (X.690 §8.3.2, which OpenSSL rejects as "illegal padding") and one of 0x80 or
 * more would be negative (which Go rejects), so the first octet is kept within 0x01–0x7f.
 */
function serialNumber(): ArrayBuffer {
  const serial = new Uint8Array(randomBytes(16));
  serial[0] = 0x01 + (serial[0]! % 0x7f);
  return serial.buffer;
}

function certificate(subject: Party, issuer: Party, signingKey: KeyObject, validity: Validity, extensions: Extension[]): string {
  const signature = new AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  const tbsCertificate = new TBSCertificate({
    version: Version.v3,
    serialNumber: serialNumber(),
    signature,
    issuer: name(issuer.cn),
    validity,
    subject: name(subject.cn),
    subjectPublicKeyInfo: subject.spki,
    extensions: new Extensions([
      extension(id_ce_subjectKeyIdentifier, false, new SubjectKeyIdentifier(subject.keyId)),
      extension(id_ce_authorityKeyIdentifier, false, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(issuer.keyId) })),
      ...extensions,
    ]),
  });
  // Node's ECDSA signature is the DER Ecdsa-Sig-Value that signatureValue carries (RFC 5758 §3.2).
  const signatureValue = sign('sha256', new Uint8Array(AsnConvert.serialize(tbsCertificate)), signingKey);
  const der = AsnConvert.serialize(new Certificate({ tbsCertificate, signatureAlgorithm: signature, signatureValue: new Uint8Array(signatureValue).buffer }));
  // Parsing it back with OpenSSL both checks the DER and gives the PEM.
  return new X509Certificate(new Uint8Array(der)).toString();
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
  const caKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serverKeys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ca = party('sandbox-kubernetes-ca', caKeys.publicKey);
  const server = party('kube-apiserver', serverKeys.publicKey);
  // Validity picks UTCTime before 2050 and GeneralizedTime from then on (RFC 5280 §4.1.2.5).
  const validity = new Validity({ notBefore: new Date(now.getTime() - 3600_000), notAfter: new Date(now.getTime() + 365 * 86400_000) });

  const caPem = certificate(ca, ca, caKeys.privateKey, validity, [
    // A CA: basicConstraints cA, critical, and keyCertSign (RFC 5280 §4.2.1.9, §4.2.1.3).
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: true })),
    extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
  ]);
  const leafPem = certificate(server, ca, caKeys.privateKey, validity, [
    extension(id_ce_basicConstraints, true, new BasicConstraints({ cA: false })),
    // ECDHE with an ECDSA key only signs, so digitalSignature is the one key usage a TLS server needs
    // (RFC 5480 §3; keyEncipherment is for RSA key transport).
    extension(id_ce_keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
    extension(id_ce_extKeyUsage, false, new ExtendedKeyUsage([id_kp_serverAuth])),
    // Clients match an IP host against an iPAddress SAN only, never the CN (RFC 6125 §3.1.3.2, Node's
    // tls.checkServerIdentity, Go's crypto/x509); localhost is there for clients that dial by name.
    extension(id_ce_subjectAltName, false, new SubjectAlternativeName([new GeneralName({ iPAddress: '127.0.0.1' }), new GeneralName({ dNSName: 'localhost' })])),
  ]);
  return { caPem, certPem: leafPem + caPem, keyPem: serverKeys.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string };
}
