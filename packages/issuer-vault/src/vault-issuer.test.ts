import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTestContext, createTestCsr, issueRequestFor, type TestContext } from '@certctl/connector-testkit';
import { AuthenticationError, MalformedInputError, VendorApiError } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setUpVault, type VaultSetup } from './test-support/vault-setup.js';
import { createVaultIssuer, vaultSerial } from './vault-issuer.js';

const run = promisify(execFile);
let setup: VaultSetup;
let ctx: TestContext;

beforeAll(async () => {
  setup = await setUpVault();
  setup.vault.addToken('hvs.test', { ttlSeconds: 3600 });
  setup.vault.addToken('hvs.read-only', { ttlSeconds: 3600, policies: [] });
  ctx = await createTestContext();
}, 180_000);
afterAll(async () => {
  await ctx?.cleanup();
  await setup?.close();
});

const issuerWith = (overrides: Record<string, unknown> = {}) => createVaultIssuer(setup.config(overrides), ctx, 'test');

describe('issuer-vault against the fake Vault', () => {
  it('signs through /v1/pki/sign/<role> with X-Vault-Token, the TTL capped by the profile, and openssl verifies the result', async () => {
    const csr = await createTestCsr({
      commonName: 'app.example.test',
      sans: { dns: ['app.example.test', 'api.example.test'] },
    });
    const issued = await issuerWith({ ttl: '720h' }).issue(issueRequestFor(csr, { maxTtlSeconds: 86_400 }));
    const sent = setup.vault.vendor.requests.filter((r) => r.path === '/v1/pki/sign/servers').at(-1)!;
    expect(sent.headers['x-vault-token']).toBe('hvs.test');
    expect(JSON.parse(sent.body)).toMatchObject({
      common_name: 'app.example.test',
      alt_names: 'app.example.test,api.example.test',
      ttl: '86400s',
      format: 'pem',
    });
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBeLessThanOrEqual(86_400_000 + 60_000);
    expect(issued.chainPem.map((pem) => pem.trim())).toEqual([setup.vault.pkiCa.certificatePem.trim()]);
    await writeFile(join(setup.dir.path, 'leaf.pem'), issued.certificatePem);
    await writeFile(join(setup.dir.path, 'chain.pem'), issued.chainPem.join(''));
    const { stdout } = await run('openssl', ['verify', '-CAfile', 'chain.pem', '-purpose', 'sslserver', 'leaf.pem'], {
      cwd: setup.dir.path,
    });
    expect(stdout).toContain('leaf.pem: OK');
  });

  it('uses the configured ttl when the profile allows more', async () => {
    await issuerWith({ ttl: '48h' }).issue(issueRequestFor(await createTestCsr(), { maxTtlSeconds: 30 * 86_400 }));
    const sent = setup.vault.vendor.requests.filter((r) => r.path === '/v1/pki/sign/servers').at(-1)!;
    expect(JSON.parse(sent.body).ttl).toBe('172800s');
  });

  it('signs with the role the request profile names', async () => {
    const error = await issuerWith()
      .issue(issueRequestFor(await createTestCsr(), { profile: 'no-such-role' }))
      .catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).status).toBe(400);
    expect(String(error)).toContain('unknown role: no-such-role');
    expect(setup.vault.vendor.requests.at(-1)!.path).toBe('/v1/pki/sign/no-such-role');
  });

  it('turns 403 permission denied into an AuthenticationError without echoing the token', async () => {
    const bad = await issuerWith({ token: 'hvs.wrong-token-value' })
      .issue(issueRequestFor(await createTestCsr()))
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(bad), String(bad)).toBe(true);
    expect(String(bad)).toContain('permission denied');
    expect(String(bad)).not.toContain('hvs.wrong-token-value');
    const readOnly = await issuerWith({ token: 'hvs.read-only' })
      .issue(issueRequestFor(await createTestCsr()))
      .catch((e: unknown) => e);
    expect(AuthenticationError.isInstance(readOnly)).toBe(true);
  });

  it("passes on Vault's refusal of a name the role does not allow, as a non-retryable VendorApiError", async () => {
    const csr = await createTestCsr({ commonName: 'evil.example.com' });
    const error = await issuerWith()
      .issue(issueRequestFor(csr))
      .catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect((error as VendorApiError).retryable).toBe(false);
    expect(String(error)).toContain('common name evil.example.com not allowed by this role');
  });

  it('revokes with a colon-separated serial_number and refuses a bad serial before calling Vault', async () => {
    const issuer = issuerWith();
    const issued = await issuer.issue(issueRequestFor(await createTestCsr()));
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
    expect(setup.vault.issued.get(issued.serial)?.revoked).toBe(true);
    const sent = setup.vault.vendor.requests.at(-1)!;
    expect(JSON.parse(sent.body)).toEqual({ serial_number: vaultSerial(issued.serial) });
    expect(vaultSerial(issued.serial)).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2})+$/);

    const before = setup.vault.vendor.requests.length;
    const error = await issuer.revoke({ serial: '12"; drop', reason: 'superseded' }).catch((e: unknown) => e);
    expect(MalformedInputError.isInstance(error)).toBe(true);
    expect(setup.vault.vendor.requests.length).toBe(before);
    const unknown = await issuer.revoke({ serial: 'abcdef', reason: 'superseded' }).catch((e: unknown) => e);
    expect((unknown as VendorApiError).status).toBe(400);
  });

  it('returns the mount CA chain', async () => {
    expect((await issuerWith().caChain()).map((pem) => pem.trim())).toEqual([setup.vault.pkiCa.certificatePem.trim()]);
  });

  it('trusts only ca_cert_path (or the system store) for TLS: the fake is refused without it', async () => {
    const error = await issuerWith({ ca_cert_path: undefined })
      .issue(issueRequestFor(await createTestCsr()))
      .catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error), String(error)).toBe(true);
    expect((error as VendorApiError).status).toBeUndefined();
  });
});
