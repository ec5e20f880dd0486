import { MalformedInputError } from '@certctl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crlInputLines, generalizedTime, scriptReason, scriptSerial } from './script-arguments.js';

describe('script arguments', () => {
  it('turns serials into even-length lowercase hex without leading zero bytes', () => {
    expect(scriptSerial('0A:BC')).toBe('0abc');
    expect(scriptSerial('00ff')).toBe('ff');
    expect(scriptSerial('7')).toBe('07');
  });

  it('accepts only hex serials: anything else is a MalformedInputError, never an argument', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (value) => {
        try {
          const out = scriptSerial(value);
          expect(out).toMatch(/^(?:[0-9a-f]{2})+$/);
          expect(value.replace(/:/g, '').trim()).toMatch(/^[0-9a-fA-F]+$/);
        } catch (error) {
          expect(MalformedInputError.isInstance(error)).toBe(true);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts RFC 5280 reasons in any common spelling and nothing else', () => {
    expect(scriptReason('KEY_COMPROMISE')).toEqual({ name: 'keyCompromise', code: 1 });
    expect(scriptReason('aaCompromise')).toEqual({ name: 'aaCompromise', code: 10 });
    fc.assert(
      fc.property(fc.string({ maxLength: 30 }), (value) => {
        try {
          expect(scriptReason(value).name).toMatch(/^[a-zA-Z]+$/);
        } catch (error) {
          expect(MalformedInputError.isInstance(error)).toBe(true);
        }
      }),
    );
  });

  it('writes one checked line per CRL entry', () => {
    expect(
      crlInputLines([{ serial: '01:02', revokedAt: new Date('2026-01-02T03:04:05.678Z'), reason: 'caCompromise' }]),
    ).toBe('0102 caCompromise 20260102030405Z\n');
    expect(generalizedTime(new Date('2030-12-31T23:59:59Z'))).toBe('20301231235959Z');
    expect(() => generalizedTime(new Date(Number.NaN))).toThrow(MalformedInputError);
  });
});
