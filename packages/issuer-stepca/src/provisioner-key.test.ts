import { ConnectorError } from '@certctl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseProvisionerKey } from './provisioner-key.js';

describe('parseProvisionerKey', () => {
  it('answers any input with a key or a typed ConnectorError', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string({ maxLength: 200 }),
          fc.json(),
          fc.record({ encryptedKey: fc.string({ maxLength: 80 }) }).map((r) => JSON.stringify(r)),
          fc
            .record({ kty: fc.constantFrom('EC', 'OKP', 'RSA', 'oct'), d: fc.string(), crv: fc.string() })
            .map((r) => JSON.stringify(r)),
        ),
        async (text) => {
          try {
            await parseProvisionerKey(text, 'password');
          } catch (error) {
            expect(ConnectorError.isInstance(error), `${String(error)} for ${text.slice(0, 60)}`).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a public JWK', async () => {
    await expect(
      parseProvisionerKey(JSON.stringify({ kty: 'EC', crv: 'P-256', x: 'AA', y: 'AA' }), undefined),
    ).rejects.toThrow(/public JWK/);
  });
});
