import { X509Certificate } from 'node:crypto';
import { createSecureContext } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { integer, makeServerTls } from '#sandbox/server/tls';

describe('the sandbox TLS certificates', () => {
  it('encodes INTEGERs minimally: no leading zero byte unless the next byte has its top bit set', () => {
    expect(integer(Buffer.from([0x00, 0x00, 0x12, 0x34]))).toEqual(Buffer.from([0x02, 0x02, 0x12, 0x34]));
    expect(integer(Buffer.from([0x00, 0x92]))).toEqual(Buffer.from([0x02, 0x02, 0x00, 0x92]));
    expect(integer(Buffer.from([0x92]))).toEqual(Buffer.from([0x02, 0x02, 0x00, 0x92]));
    expect(integer(Buffer.from([0x00]))).toEqual(Buffer.from([0x02, 0x01, 0x00]));
  });

  it('are valid DER every time (random serials included), chain to the CA and name 127.0.0.1', () => {
    // A serial whose first random byte is 0x00 used to be encoded non-minimally, which OpenSSL
    // rejects ("illegal padding") about once in 500 certificates; 300 rounds (600 certificates) make that visible.
    for (let i = 0; i < 300; i++) {
      const tls = makeServerTls();
      const ca = new X509Certificate(tls.caPem);
      const leaf = new X509Certificate(tls.certPem.slice(0, tls.certPem.indexOf('-----END CERTIFICATE-----') + 25));
      expect(leaf.checkIssued(ca)).toBe(true);
      expect(leaf.verify(ca.publicKey)).toBe(true);
      expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(() => createSecureContext({ cert: tls.certPem, key: tls.keyPem, ca: tls.caPem })).not.toThrow();
    }
  });
});
