import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { atlasDescription } from './atlas-client.js';
import { contractSerial } from './globalsign-issuer.js';

describe('reading what Atlas sends', () => {
  it('takes the description of a problem body', () => {
    expect(atlasDescription('{"description":"Certificate not found"}')).toBe('Certificate not found');
    expect(atlasDescription('not json')).toBeUndefined();
  });

  it('never throws on any body, and never returns more than 300 characters', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.constant(undefined)), (body) => {
        const text = atlasDescription(body);
        expect(text === undefined || (typeof text === 'string' && text.length <= 300)).toBe(true);
      }),
    );
  });

  it("turns Atlas' serials into the contract's form: lowercase, even length, no leading zero bytes", () => {
    expect(contractSerial('00AB01')).toBe('ab01');
    expect(contractSerial('F')).toBe('0f');
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 20 }), (bytes) => {
        const serial = contractSerial(Buffer.from(bytes).toString('hex').toUpperCase());
        expect(serial).toMatch(/^([0-9a-f]{2})+$/);
        expect(serial.length === 2 || !serial.startsWith('00')).toBe(true);
        expect(BigInt(`0x${serial}`)).toBe(BigInt(`0x${Buffer.from(bytes).toString('hex')}`));
      }),
    );
  });
});
