import { createCsr, generateKeyPair } from '@certctl/pki';
import { describe, expect, it } from 'vitest';
import { withSignatureUnusedBits } from '../../testing/csr-mutations.js';
import { readCsr } from './csr-policy.js';

// readCsr is the one reader of a CSR sent to the API (issuance requests), by an agent (CSR
// submission) and in ACME finalize; EST and SCEP call the same verifyCsrSignature.
describe('readCsr: the CSR reader of the API, the agent and ACME finalize', () => {
  it('refuses a CSR whose signature BIT STRING declares 4 unused bits with a 400, and accepts the original', async () => {
    const csr = await createCsr({
      keys: await generateKeyPair({ algorithm: 'ecdsa-p256' }),
      subject: { CN: 'bits.example.test' },
    });
    expect((await readCsr(csr.pem)).commonName).toBe('bits.example.test');
    const bad = withSignatureUnusedBits(csr.der, 4);
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(bad).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(readCsr(pem)).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/does not verify/),
    });
  });
});
