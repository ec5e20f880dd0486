import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createConfigCipher } from './config-cipher.js';

describe('config cipher', () => {
  const cipher = createConfigCipher(randomBytes(32));

  it('round-trips a secret bound to where it is stored', () => {
    const blob = cipher.encrypt('hunter2-secret', 'issuer:iss-a:api_key');
    expect(blob).toMatch(/^v1:/);
    expect(blob).not.toContain('hunter2');
    expect(cipher.decrypt(blob, 'issuer:iss-a:api_key')).toBe('hunter2-secret');
  });

  it('refuses a blob moved to another field, a tampered blob, and another key', () => {
    const blob = cipher.encrypt('value', 'issuer:iss-a:api_key');
    expect(() => cipher.decrypt(blob, 'issuer:iss-b:api_key')).toThrow(/does not decrypt/);
    const raw = Buffer.from(blob.slice(3), 'base64');
    raw[raw.length - 1]! ^= 1;
    expect(() => cipher.decrypt(`v1:${raw.toString('base64')}`, 'issuer:iss-a:api_key')).toThrow(/does not decrypt/);
    expect(() => createConfigCipher(randomBytes(32)).decrypt(blob, 'issuer:iss-a:api_key')).toThrow(/does not decrypt/);
  });
});
