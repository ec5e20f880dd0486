import { createCsr, generateKeyPair, parseCertificate, parseCertsOnlySignedData, signCertificate } from '@certctl/pki';
import { MalformedInputError } from '@certctl/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { EstError } from './est-error.js';
import { certsOnlyBody, multipartMixed, readCsrBody } from './est-wire.js';
import { buildCsrAttrs, oidDer } from './est-csr-attrs.js';
import { execFileSync } from 'node:child_process';
import { withSignatureUnusedBits } from '../../testing/csr-mutations.js';

let csrDer: Uint8Array;

beforeAll(async () => {
  const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
  csrDer = (
    await createCsr({ keys, subject: { CN: 'fuzz.example.com' }, sans: [{ type: 'dns', value: 'fuzz.example.com' }] })
  ).der;
});

/** readCsrBody either returns a verified CSR or throws a 400 EstError, never anything else. */
async function outcome(body: Uint8Array): Promise<'ok' | 'refused'> {
  try {
    await readCsrBody(body);
    return 'ok';
  } catch (error) {
    expect(error).toBeInstanceOf(EstError);
    expect((error as EstError).status).toBe(400);
    return 'refused';
  }
}

describe('EST request body parsing (PKCS#10)', () => {
  it('reads base64 DER, base64 with line breaks, PEM and raw DER', async () => {
    const b64 = Buffer.from(csrDer).toString('base64');
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${b64.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
    for (const body of [b64, b64.match(/.{1,76}/g)!.join('\r\n'), pem])
      expect((await readCsrBody(Buffer.from(body))).commonName).toBe('fuzz.example.com');
    expect((await readCsrBody(csrDer)).commonName).toBe('fuzz.example.com');
  });

  it('refuses an empty body, a non-buffer and a CSR with a broken signature with a 400', async () => {
    await expect(readCsrBody(Buffer.alloc(0))).rejects.toMatchObject({ status: 400 });
    await expect(readCsrBody({ json: true })).rejects.toMatchObject({ status: 400 });
    const tampered = Buffer.from(csrDer);
    tampered[tampered.length - 3]! ^= 0x01;
    await expect(readCsrBody(Buffer.from(tampered.toString('base64')))).rejects.toThrow(
      /signature does not verify|not a valid PKCS#10/,
    );
  });

  it('refuses a CSR whose signature BIT STRING declares 4 unused bits with a 400 (openssl req -verify refuses it too)', async () => {
    const bad = withSignatureUnusedBits(csrDer, 4);
    await expect(readCsrBody(Buffer.from(Buffer.from(bad).toString('base64')))).rejects.toMatchObject({ status: 400 });
    await expect(readCsrBody(bad)).rejects.toThrow(/signature does not verify/);
  });

  it('any byte string is either a valid CSR or a 400 (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 600 }), async (bytes) => {
        await outcome(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it('truncations and byte flips of a real CSR, raw or base64, are refused with a 400 (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.nat({ max: csrDer.length - 1 }),
        fc.nat({ max: csrDer.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        fc.boolean(),
        async (cut, at, flip, base64) => {
          const truncated = csrDer.subarray(0, cut);
          const flipped = Uint8Array.from(csrDer);
          flipped[at]! ^= flip;
          for (const der of [truncated, flipped]) {
            const body = base64 ? Buffer.from(Buffer.from(der).toString('base64')) : der;
            const result = await outcome(body);
            // A flip inside an unsigned-but-ignored byte could in theory still verify; a truncation never does.
            if (der === truncated) expect(result).toBe('refused');
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('EST response encoding', () => {
  it('certs-only PKCS#7 round-trips, and any truncation of it is a typed MalformedInputError (fast-check)', async () => {
    const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const { pem } = await signCertificate({
      subject: { CN: 'Fuzz CA' },
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      ca: true,
      validitySeconds: 3600,
    });
    const der = Buffer.from(certsOnlyBody([pem]), 'base64');
    expect(parseCertsOnlySignedData(der).map((c) => parseCertificate(c).subjectCommonName)).toEqual(['Fuzz CA']);
    expect(
      execFileSync('openssl', ['pkcs7', '-inform', 'DER', '-print_certs', '-noout'], { input: der, encoding: 'utf8' }),
    ).toContain('Fuzz CA');
    fc.assert(
      fc.property(fc.nat({ max: der.length - 1 }), (cut) => {
        try {
          parseCertsOnlySignedData(der.subarray(0, cut));
          return false;
        } catch (error) {
          return MalformedInputError.isInstance(error);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('multipart/mixed has both parts between boundaries', () => {
    const { contentType, body } = multipartMixed([
      { contentType: 'application/pkcs8', body: 'QUJD' },
      { contentType: 'application/pkcs7-mime; smime-type=certs-only', body: 'REVG' },
    ]);
    const boundary = /boundary=(.+)$/.exec(contentType)![1]!;
    expect(body.startsWith(`--${boundary}\r\n`)).toBe(true);
    expect(body.endsWith(`--${boundary}--\r\n`)).toBe(true);
    expect(body.split(`--${boundary}`)).toHaveLength(4);
  });

  it('csrattrs DER parses with openssl and encodes OIDs correctly', () => {
    expect(Buffer.from(oidDer('1.2.840.10045.2.1')).toString('hex')).toBe('06072a8648ce3d0201');
    const der = buildCsrAttrs(
      {
        pathId: 'x',
        issuerId: 'i',
        authModes: [],
        mtlsEnabled: true,
        channelBindingRequired: true,
        ratePerPrincipal24h: 0,
        serverKeygenEnabled: false,
      },
      { allowedKeyAlgorithms: [{ algorithm: 'RSA', min_size: 3072 }], allowedEkus: ['clientAuth'] } as never,
    )!;
    const text = execFileSync('openssl', ['asn1parse', '-inform', 'DER'], { input: der, encoding: 'utf8' });
    expect(text).toContain('challengePassword');
    expect(text).toContain('rsaEncryption');
    expect(text).toContain('Extended Key Usage');
  });
});
