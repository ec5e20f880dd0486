import { MalformedInputError } from '@certctl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ariCertificateId, formatAriCertificateId, parseAriCertificateId } from './ari.js';
import { signCertificate } from './certificate-builder.js';
import { generateKeyPair } from './keys.js';

// RFC 9773 section 4.1 worked example.
const RFC_KEY_ID = Buffer.from('69885b6b87464041e1b37b847ba0ae2cde01c8d4', 'hex');
const RFC_SERIAL = Buffer.from('0087654321', 'hex');
const RFC_ID = 'aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE';

describe('ARI certificate id', () => {
  it('formats the RFC 9773 example', () => {
    expect(formatAriCertificateId({ keyIdentifier: RFC_KEY_ID, serialNumber: RFC_SERIAL })).toBe(RFC_ID);
  });

  it('computes the RFC example id from a certificate with that AKI and serial 0x87654321', async () => {
    const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const cert = await signCertificate({
      subject: { CN: 'example.com' },
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      serialNumber: '87654321',
      extensions: [{ oid: '2.5.29.35', value: Buffer.concat([Buffer.from('30168014', 'hex'), RFC_KEY_ID]) }],
    });
    expect(ariCertificateId(cert.pem)).toBe(RFC_ID);
  });

  it('parses an id back into its parts and rejects malformed ids', () => {
    const parts = parseAriCertificateId(RFC_ID);
    expect(Buffer.from(parts.keyIdentifier)).toEqual(RFC_KEY_ID);
    expect(Buffer.from(parts.serialNumber)).toEqual(RFC_SERIAL);
    for (const bad of ['', 'nodot', 'a.b.c', 'aYhb=.AIdlQyE', 'aYhb.h2VDIQ', 'aYhb.AAE', 'a+b.AQ']) {
      expect(() => parseAriCertificateId(bad), bad).toThrow(expect.objectContaining({ code: 'malformed_input' }));
    }
  });

  it('never throws anything but MalformedInputError on arbitrary ids (fuzz)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), (id) => {
        try {
          const parts = parseAriCertificateId(id);
          expect(formatAriCertificateId(parts)).toBe(id);
        } catch (error) {
          if (!MalformedInputError.isInstance(error)) throw error;
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
