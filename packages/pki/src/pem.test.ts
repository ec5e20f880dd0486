import { MalformedInputError } from '@certctl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { derFromPemOrDer, derToPem, pemToDer, splitPemBundle } from './pem.js';

const bytes = new Uint8Array(Array.from({ length: 100 }, (_, i) => i));

function expectMalformed(fn: () => unknown): void {
  try {
    fn();
  } catch (error) {
    expect(MalformedInputError.isInstance(error), String(error)).toBe(true);
    return;
  }
  throw new Error('expected MalformedInputError');
}

describe('pem', () => {
  it('round-trips DER through PEM with 64-character lines', () => {
    const pem = derToPem(bytes, 'CERTIFICATE');
    expect(pem.startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
    expect(pem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
    expect(pem.split('\n')[1]).toHaveLength(64);
    expect(pemToDer(pem, 'CERTIFICATE')).toEqual(bytes);
  });

  it('splits a bundle with explanatory text and CRLF line endings', () => {
    const text = `subject=CN = a\r\n${derToPem(bytes, 'CERTIFICATE').replace(/\n/g, '\r\n')}junk\n${derToPem(bytes.slice(0, 5), 'X509 CRL')}`;
    const blocks = splitPemBundle(text);
    expect(blocks.map((b) => b.label)).toEqual(['CERTIFICATE', 'X509 CRL']);
    expect(blocks[1]!.der).toEqual(bytes.slice(0, 5));
  });

  it('picks the first block with the expected label and accepts alternatives', () => {
    const text = derToPem(bytes.slice(0, 3), 'PRIVATE KEY') + derToPem(bytes, 'NEW CERTIFICATE REQUEST');
    expect(pemToDer(text, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'])).toEqual(bytes);
  });

  it('returns no blocks for text without PEM', () => {
    expect(splitPemBundle('hello')).toEqual([]);
  });

  it('rejects a label mismatch, bad base64, missing END, headers and no PEM at all', () => {
    expectMalformed(() => pemToDer(derToPem(bytes, 'CERTIFICATE'), 'X509 CRL'));
    expectMalformed(() => pemToDer('-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n'));
    expectMalformed(() => pemToDer('-----BEGIN CERTIFICATE-----\nAAAA\n'));
    expectMalformed(() => pemToDer('-----BEGIN CERTIFICATE-----\nAAAA\n-----END X509 CRL-----\n'));
    expectMalformed(() =>
      pemToDer('-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n\nAAAA\n-----END RSA PRIVATE KEY-----\n'),
    );
    expectMalformed(() => pemToDer('nothing here'));
    expectMalformed(() => derToPem(bytes, 'bad\nlabel'));
  });

  it('accepts DER bytes as they are in derFromPemOrDer', () => {
    expect(derFromPemOrDer(bytes, 'CERTIFICATE', 'certificate')).toBe(bytes);
    expect(derFromPemOrDer(derToPem(bytes, 'CERTIFICATE'), 'CERTIFICATE', 'certificate')).toEqual(bytes);
  });

  it('never throws anything but MalformedInputError on arbitrary text (fuzz)', () => {
    const pemish = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc
        .tuple(fc.string({ maxLength: 20 }), fc.string({ maxLength: 200 }), fc.string({ maxLength: 20 }))
        .map(([a, body, b]) => `-----BEGIN ${a}-----\n${body}\n-----END ${b}-----\n`),
      fc.uint8Array({ maxLength: 200 }).map((d) => {
        const pem = derToPem(d.length ? d : new Uint8Array([0]), 'CERTIFICATE');
        return pem.slice(0, Math.floor(pem.length / 2)) + pem.slice(Math.floor(pem.length / 2) + 3);
      }),
    );
    fc.assert(
      fc.property(pemish, (text) => {
        try {
          const blocks = splitPemBundle(text);
          for (const block of blocks) derToPem(block.der, block.label);
        } catch (error) {
          if (!MalformedInputError.isInstance(error)) throw error;
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
