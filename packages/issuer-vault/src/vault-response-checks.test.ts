import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  createTempDir,
  createTestCa,
  createTestContext,
  createTestCsr,
  type FakeVendor,
  issueRequestFor,
  startFakeVendor,
  type TempDir,
  type TestCa,
  type TestContext,
} from '@certctl/connector-testkit';
import { ConnectorError, MalformedInputError, parseConfig } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vaultConfigSchema } from './vault-config.js';
import { createVaultIssuer } from './vault-issuer.js';

/** What the misbehaving Vault answers to the next sign request. */
let answer: (csrPem: string) => Promise<unknown>;
let vendor: FakeVendor;
let pki: TestCa;
let dir: TempDir;
let ctx: TestContext;
let caPath: string;

beforeAll(async () => {
  pki = await createTestCa({ commonName: 'misbehaving Vault PKI' });
  vendor = await startFakeVendor({
    routes: {
      'POST /v1/pki/sign/servers': async (request) => ({
        body: { data: await answer((request.json() as { csr: string }).csr) },
      }),
    },
  });
  dir = await createTempDir('issuer-vault-bad-');
  caPath = join(dir.path, 'ca.pem');
  await writeFile(caPath, vendor.caPem!);
  ctx = await createTestContext();
}, 180_000);
afterAll(async () => {
  await ctx?.cleanup();
  await vendor?.close();
  await dir?.remove();
});

const issue = async () =>
  createVaultIssuer(
    parseConfig(vaultConfigSchema, { addr: vendor.url, token: 'hvs.x', role: 'servers', ca_cert_path: caPath }),
    ctx,
    'test',
  )
    .issue(issueRequestFor(await createTestCsr({ commonName: 'a.example.test' })))
    .catch((e: unknown) => e);

describe('issuer-vault checks what Vault returns before believing it', () => {
  it('refuses a certificate for another key than the CSR', async () => {
    answer = async () => {
      const other = await pki.issue({ commonName: 'a.example.test' });
      return { certificate: other.certificatePem, issuing_ca: pki.certificatePem, serial_number: other.serial };
    };
    const error = await issue();
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect(String(error)).toContain("does not carry the CSR's public key");
  });

  it('refuses a serial_number that is not the certificate serial', async () => {
    answer = async (csrPem) => {
      const leaf = await pki.issue({ commonName: 'a.example.test', csrPem });
      return { certificate: leaf.certificatePem, issuing_ca: pki.certificatePem, serial_number: '01:02:03' };
    };
    expect(String(await issue())).toContain('reported serial 01:02:03');
  });

  it('refuses an answer without a certificate, or with one that does not parse', async () => {
    answer = async () => ({ serial_number: '01' });
    expect(MalformedInputError.isInstance(await issue())).toBe(true);
    answer = async () => ({
      certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
      serial_number: '01',
    });
    expect(MalformedInputError.isInstance(await issue())).toBe(true);
  });
});
