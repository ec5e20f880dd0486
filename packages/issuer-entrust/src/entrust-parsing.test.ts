import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { entrustMessage } from './entrust-http.js';
import { certificatePem } from './entrust-order.js';

describe('reading what Entrust sends', () => {
  it('takes the message from either error body shape', () => {
    expect(entrustMessage('{"type":"ErrorResponse","error":{"code":"X","message":"no such profile"}}')).toBe(
      'no such profile',
    );
    expect(entrustMessage('{"status":400,"errors":[{"message":"a"},{"message":"b"}]}')).toBe('a; b');
    expect(entrustMessage('<html>proxy error</html>')).toBeUndefined();
  });

  it('never throws on any body, and never returns more than 300 characters', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constant(undefined)), (body) => {
        const message = entrustMessage(body);
        expect(message === undefined || (typeof message === 'string' && message.length <= 300)).toBe(true);
      }),
    );
  });

  it('wraps base64 DER in PEM armour and leaves PEM as it is', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 400 }), (bytes) => {
        const base64 = Buffer.from(bytes).toString('base64');
        const pem = certificatePem(base64);
        expect(pem.startsWith('-----BEGIN CERTIFICATE-----\n')).toBe(true);
        expect(pem.replace(/-----[A-Z ]+-----|\s/g, '')).toBe(base64);
        expect(certificatePem(pem)).toBe(pem);
      }),
    );
  });
});
