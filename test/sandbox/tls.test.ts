import { createPrivateKey, createPublicKey, X509Certificate } from 'node:crypto';
import { createServer, get, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { makeServerTls, type ServerTls } from '#sandbox/server/tls';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';

/** The certificates in a PEM bundle, first to last. */
function certificates(pem: string): X509Certificate[] {
  return (pem.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g) ?? []).map((c) => new X509Certificate(c));
}

/** Serves `tls` on 127.0.0.1 and makes one request trusting `trustedCaPem`, as the sandbox's clients do. */
async function handshake(tls: ServerTls, trustedCaPem: string): Promise<number> {
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (_req, res) => res.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise<number>((resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/', ca: trustedCaPem, agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      }).on('error', reject);
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('the sandbox TLS certificates', () => {
  it('are a CA and a server certificate for 127.0.0.1 and localhost that chains to it', () => {
    const now = new Date('2030-06-01T12:00:00Z');
    const tls = makeServerTls(now);
    const [ca] = certificates(tls.caPem);
    const [leaf, chainedCa, ...rest] = certificates(tls.certPem);
    expect(rest).toEqual([]);
    expect(chainedCa!.fingerprint256).toBe(ca!.fingerprint256);

    expect(ca!.ca).toBe(true);
    expect(ca!.subject).toBe('CN=sandbox-kubernetes-ca');
    expect(ca!.checkIssued(ca!)).toBe(true);
    expect(ca!.verify(ca!.publicKey)).toBe(true);

    expect(leaf!.ca).toBe(false);
    expect(leaf!.subject).toBe('CN=kube-apiserver');
    expect(leaf!.checkIssued(ca!)).toBe(true);
    expect(leaf!.verify(ca!.publicKey)).toBe(true);
    expect(leaf!.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(leaf!.checkHost('localhost')).toBe('localhost');
    expect(leaf!.keyUsage).toContain(SERVER_AUTH);
    expect(leaf!.publicKey.asymmetricKeyType).toBe('ec');
    expect(createPublicKey(createPrivateKey(tls.keyPem)).equals(leaf!.publicKey)).toBe(true);

    expect(new Date(leaf!.validFrom).getTime()).toBe(now.getTime() - 3600_000);
    expect(new Date(leaf!.validTo).getTime()).toBe(now.getTime() + 365 * 86400_000);
  });

  it('are valid DER with a positive serial every time, and each pair is new', () => {
    // A serial whose first random byte was 0x00 used to be encoded non-minimally, which OpenSSL
    // rejects ("illegal padding") about once in 500 certificates; 300 rounds (600 certificates) make
    // a regression of that kind visible.
    const cas = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const tls = makeServerTls();
      const [ca] = certificates(tls.caPem);
      const [leaf] = certificates(tls.certPem);
      for (const cert of [ca!, leaf!]) expect(cert.serialNumber).toMatch(/^(?!00)[0-9A-F]+$/);
      expect(leaf!.checkIssued(ca!)).toBe(true);
      expect(leaf!.verify(ca!.publicKey)).toBe(true);
      expect(leaf!.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(() => createSecureContext({ cert: tls.certPem, key: tls.keyPem, ca: tls.caPem })).not.toThrow();
      cas.add(ca!.fingerprint256);
    }
    expect(cas.size).toBe(300);
  });

  it("pass Node's https client verification at 127.0.0.1 with the CA, and only with that CA", async () => {
    const tls = makeServerTls();
    await expect(handshake(tls, tls.caPem)).resolves.toBe(200);
    await expect(handshake(tls, makeServerTls().caPem)).rejects.toThrow(/unable to verify|self[- ]signed|UNABLE_TO_VERIFY_LEAF_SIGNATURE/i);
  });
});
