import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseVaultDuration } from './vault-duration.js';

describe('parseVaultDuration', () => {
  it('reads the forms Vault accepts', () => {
    expect(parseVaultDuration('8760h')).toBe(31_536_000);
    expect(parseVaultDuration('1h30m')).toBe(5400);
    expect(parseVaultDuration('30d')).toBe(2_592_000);
    expect(parseVaultDuration('45')).toBe(45);
    expect(parseVaultDuration('')).toBeUndefined();
    expect(parseVaultDuration('1.5h')).toBeUndefined();
    expect(parseVaultDuration('-1h')).toBeUndefined();
  });

  it('returns a non-negative integer or undefined for any text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 24 }), (text) => {
        const seconds = parseVaultDuration(text);
        if (seconds !== undefined) expect(Number.isSafeInteger(seconds) && seconds >= 0).toBe(true);
      }),
    );
  });
});
