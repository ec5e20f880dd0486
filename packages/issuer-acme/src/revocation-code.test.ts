import { MalformedInputError, REVOCATION_REASONS } from '@certctl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { acmeRevocationCode } from './revocation-code.js';

describe('acmeRevocationCode', () => {
  it('maps canonical names, RFC 5280 spellings, snake_case and UPPER_SNAKE to RFC 5280 codes', () => {
    expect(acmeRevocationCode(undefined)).toBe(0);
    expect(acmeRevocationCode('keyCompromise')).toBe(1);
    expect(acmeRevocationCode('key_compromise')).toBe(1);
    expect(acmeRevocationCode('KEY_COMPROMISE')).toBe(1);
    expect(acmeRevocationCode('cACompromise')).toBe(2);
    expect(acmeRevocationCode('ca_compromise')).toBe(2);
    expect(acmeRevocationCode('CESSATION_OF_OPERATION')).toBe(5);
    expect(acmeRevocationCode('removeFromCRL')).toBe(8);
    expect(acmeRevocationCode('remove_from_crl')).toBe(8);
    expect(acmeRevocationCode('aACompromise')).toBe(10);
  });

  it('rejects unknown or mixed spellings instead of demoting them to unspecified', () => {
    for (const bad of [
      '',
      'stolen',
      'KeyCompromise',
      'key-compromise',
      'Key_Compromise',
      '7',
      'unspecified ',
      'constructor',
      '__proto__',
    ]) {
      expect(() => acmeRevocationCode(bad), bad).toThrow(MalformedInputError);
    }
  });

  it('either returns a code RFC 5280 defines or throws MalformedInputError, for any string', () => {
    const codes = new Set<number>(Object.values(REVOCATION_REASONS));
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (text) => {
        try {
          expect(codes.has(acmeRevocationCode(text))).toBe(true);
        } catch (error) {
          expect(MalformedInputError.isInstance(error)).toBe(true);
        }
      }),
    );
  });
});
