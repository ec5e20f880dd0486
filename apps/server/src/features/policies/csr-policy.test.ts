import { createCsr, generateKeyPair } from '@certctl/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, certificateBody, createBasics } from '../../testing/api-fixtures.js';
import { withSignatureUnusedBits } from '../../testing/csr-mutations.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { readCsr } from './csr-policy.js';

const toPem = (der: Uint8Array) =>
  `-----BEGIN CERTIFICATE REQUEST-----\n${Buffer.from(der).toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;

// readCsr is the one reader of a CSR sent to the API (issuance requests), by an agent (CSR
// submission) and in ACME finalize; EST and SCEP call the same verifyCsrSignature.
describe('a CSR whose signature BIT STRING declares 4 unused bits', () => {
  const ca = createTestCa();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ database: {}, connectors: [ca.manifest] });
  });
  afterAll(() => server?.stop());

  it('is refused by readCsr with a 400, and the original is accepted', async () => {
    const csr = await createCsr({
      keys: await generateKeyPair({ algorithm: 'ecdsa-p256' }),
      subject: { CN: 'bits.example.test' },
    });
    expect((await readCsr(csr.pem)).commonName).toBe('bits.example.test');
    await expect(readCsr(toPem(withSignatureUnusedBits(csr.der, 4)))).rejects.toMatchObject({
      status: 400,
      message: expect.stringMatching(/does not verify/),
    });
  });

  it('is refused by POST /api/v1/certificates with a 400 in the envelope, and nothing is created', async () => {
    const basics = await createBasics(server.api);
    const body = certificateBody(basics);
    const csr = await createCsr({
      keys: await generateKeyPair({ algorithm: 'ecdsa-p256' }),
      subject: { CN: String(body.common_name) },
      sans: [{ type: 'dns', value: String(body.common_name) }],
    });
    const before = Number((await call(server.api, 'GET', '/api/v1/certificates')).json.total);
    const refused = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: toPem(withSignatureUnusedBits(csr.der, 4)),
    });
    expect(refused.status, refused.body).toBe(400);
    expect(refused.json).toMatchObject({
      error: expect.any(String),
      message: expect.stringMatching(/does not verify/),
    });
    expect(Number((await call(server.api, 'GET', '/api/v1/certificates')).json.total)).toBe(before);
    const accepted = await call(server.api, 'POST', '/api/v1/certificates', { ...body, csr_pem: csr.pem });
    expect(accepted.status, accepted.body).toBe(201);
  });
});
