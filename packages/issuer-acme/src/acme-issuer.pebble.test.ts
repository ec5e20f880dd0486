import { ConnectorError, parseConfig } from '@certctl/core';
import { createTestContext, createTestCsr, issueRequestFor, type TestContext } from '@certctl/connector-testkit';
import { parseCertificate } from '@certctl/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeConfigSchema, type AcmeIssuerConfigInput } from './acme-config.js';
import { createAcmeIssuer } from './acme-issuer.js';
import { type IssuingAcmeIssuer, issuedOnly } from './test-support/issued-only.js';
import { opensslVerify } from './test-support/openssl-verify.js';
import { type PebbleFixture, startPebbleFixture } from './test-support/pebble-fixture.js';

const FAST = { backoff: { min: 100, max: 1000 } };

async function issuerFor(
  fixture: PebbleFixture,
  extra: Partial<AcmeIssuerConfigInput> = {},
): Promise<{ issuer: IssuingAcmeIssuer; ctx: TestContext }> {
  const ctx = await createTestContext();
  const config = parseConfig(acmeConfigSchema, { ...fixture.config, ...extra });
  return { issuer: issuedOnly(createAcmeIssuer(config, ctx, FAST)), ctx };
}

async function requestFor(names: string[]) {
  const csr = await createTestCsr({ commonName: names[0], sans: { dns: names } });
  return {
    csr,
    request: issueRequestFor(csr, { commonName: names[0]!, sans: { dns: names, ip: [], email: [], uri: [] } }),
  };
}

async function expectVerifies(fixture: PebbleFixture, leafPem: string, chainPem: string[]) {
  const root = await fixture.pebble.rootPem();
  const result = await opensslVerify(leafPem, root, chainPem.join(''));
  expect(result.ok, result.output).toBe(true);
}

describe('against pebble with HTTP-01 (30% of nonces rejected as badNonce)', () => {
  let fixture: PebbleFixture;
  let issuer: IssuingAcmeIssuer;
  let ctx: TestContext;
  beforeAll(async () => {
    fixture = await startPebbleFixture({ nonceRejectPercent: 30 });
    ({ issuer, ctx } = await issuerFor(fixture));
  }, 30_000);
  afterAll(async () => {
    await issuer?.stop();
    await ctx?.cleanup();
    await fixture?.stop();
  });

  it("issues through the built-in responder a certificate openssl verifies up to pebble's root", async () => {
    const { csr, request } = await requestFor(['web.example.com', 'www.example.com']);
    const issued = await issuer.issue(request);
    const leaf = parseCertificate(issued.certificatePem);
    expect(leaf.sans.map((s) => s.value).sort()).toEqual(['web.example.com', 'www.example.com']);
    expect(issued.serial).toBe(leaf.serialNumber);
    expect(issued.chainPem.length).toBeGreaterThan(0);
    expect(Buffer.from(leaf.spki).equals(Buffer.from((await import('@certctl/pki')).parseCsr(csr.csrPem).spki))).toBe(
      true,
    );
    await expectVerifies(fixture, issued.certificatePem, issued.chainPem);
    // The account was registered once and kept (encrypted by the server) for later orders.
    expect(JSON.parse(ctx.secretEntries.get('acme_account')!).accountUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\//);
  });

  it('renews, then revokes by serial with the reason code pebble records', async () => {
    const { request } = await requestFor(['renew.example.com']);
    const first = await issuer.issue(request);
    const { request: again } = await requestFor(['renew.example.com']);
    const renewed = await issuer.renew({ ...again, replacesCertificatePem: first.certificatePem });
    expect(renewed.serial).not.toBe(first.serial);
    await expectVerifies(fixture, renewed.certificatePem, renewed.chainPem);

    await issuer.revoke({
      serial: first.serial,
      reason: 'key_compromise' as never,
      certificatePem: first.certificatePem,
    });
    const status = await fixture.pebble.certStatus(first.serial);
    expect(status.Status).toBe('Revoked');
    expect(status.Reason).toBe(1);
  });

  it('refuses an unknown revocation reason and a serial that is not the stored certificate, before calling the CA', async () => {
    const { request } = await requestFor(['keep.example.com']);
    const issued = await issuer.issue(request);
    await expect(
      issuer.revoke({
        serial: issued.serial,
        reason: 'becauseISaidSo' as never,
        certificatePem: issued.certificatePem,
      }),
    ).rejects.toThrow(/unknown revocation reason/);
    await expect(
      issuer.revoke({ serial: 'abcdef', reason: 'superseded', certificatePem: issued.certificatePem }),
    ).rejects.toThrow(/does not have serial abcdef/);
    await expect(issuer.revoke({ serial: issued.serial, reason: 'superseded' })).rejects.toThrow(
      /only certificates issued through certctl/,
    );
    expect((await fixture.pebble.certStatus(issued.serial)).Status).toBe('Valid');
  });

  it("reports a failed HTTP-01 validation with the CA's problem detail", async () => {
    // A web root nobody serves: pebble's VA reaches no responder and the authorization goes invalid.
    const { issuer: webroot, ctx: webrootCtx } = await issuerFor(fixture, { http_webroot: fixture.dir });
    try {
      const { request } = await requestFor(['unserved.example.com']);
      const error = await webroot.issue(request).catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect(String((error as Error).message)).toMatch(
        /http-01 validation of unserved\.example\.com failed: (connection|unauthorized)/,
      );
    } finally {
      await webrootCtx.cleanup();
    }
  });
});

describe('against pebble with DNS-01 through hook scripts and pebble-challtestsrv', () => {
  let fixture: PebbleFixture;
  beforeAll(async () => {
    fixture = await startPebbleFixture();
  }, 30_000);
  afterAll(() => fixture?.stop());

  it('issues a wildcard with dns-01: the present hook publishes the TXT record, cleanup removes it', async () => {
    const { issuer, ctx } = await issuerFor(fixture, {
      challenge_type: 'dns-01',
      dns_present_script: fixture.presentScript,
      dns_cleanup_script: fixture.cleanupScript,
    });
    try {
      const { request } = await requestFor(['*.wild.example.com', 'wild.example.com']);
      const issued = await issuer.issue(request);
      await expectVerifies(fixture, issued.certificatePem, issued.chainPem);
      const log = await fixture.hookLog();
      expect(log.filter((l) => l.startsWith('present _acme-challenge.wild.example.com '))).toHaveLength(2);
      expect(log.filter((l) => l.startsWith('cleanup _acme-challenge.wild.example.com '))).toHaveLength(2);
    } finally {
      await ctx.cleanup();
    }
  });

  it('falls back from dns-persist-01 to dns-01 when the CA does not offer it', async () => {
    const { issuer, ctx } = await issuerFor(fixture, {
      challenge_type: 'dns-persist-01',
      dns_present_script: fixture.presentScript,
      dns_cleanup_script: fixture.cleanupScript,
      dns_persist_issuer_domain: 'pebble.example',
    });
    try {
      const { request } = await requestFor(['persist.example.com']);
      const issued = await issuer.issue(request);
      await expectVerifies(fixture, issued.certificatePem, issued.chainPem);
      expect(ctx.logs.some((l) => l.level === 'warn' && /falling back to dns-01/.test(l.message ?? ''))).toBe(true);
      expect((await fixture.hookLog()).some((l) => l.startsWith('present _acme-challenge.persist.example.com '))).toBe(
        true,
      );
    } finally {
      await ctx.cleanup();
    }
  });

  it("fails with the script's stderr when the present hook fails, and asks the CA nothing more", async () => {
    const { issuer, ctx } = await issuerFor(fixture, { challenge_type: 'dns-01', dns_present_script: '/bin/false' });
    try {
      const { request } = await requestFor(['hookfail.example.com']);
      await expect(issuer.issue(request)).rejects.toThrow(/DNS present script \/bin\/false exited with 1/);
    } finally {
      await ctx.cleanup();
    }
  });
});

describe('against pebble with External Account Binding and authorization reuse', () => {
  const eabKid = 'kid-certctl';
  const eabHmac = Buffer.from('a-32-byte-hmac-key-for-the-tests').toString('base64url');
  let fixture: PebbleFixture;
  beforeAll(async () => {
    fixture = await startPebbleFixture({ eabKeys: { [eabKid]: eabHmac }, authzReusePercent: 100 });
  }, 30_000);
  afterAll(() => fixture?.stop());

  it('registers with eab_kid and eab_hmac, and pebble refuses an account without them', async () => {
    const { issuer: without, ctx: c1 } = await issuerFor(fixture);
    await expect(without.testConnection()).rejects.toThrow(/externalAccountBinding/);
    await c1.cleanup();

    const { issuer, ctx } = await issuerFor(fixture, { eab_kid: eabKid, eab_hmac: eabHmac });
    try {
      const result = await issuer.testConnection();
      expect(result.detail).toMatch(/account https:/);
      const { request } = await requestFor(['eab.example.com']);
      const first = await issuer.issue(request);
      // pebble reuses the now-valid authorization: the second order needs no challenge at all, so an
      // issuer on the same account whose HTTP-01 tokens nobody serves still gets its certificate.
      await issuer.stop();
      const unserved = issuedOnly(
        createAcmeIssuer(
          parseConfig(acmeConfigSchema, {
            ...fixture.config,
            eab_kid: eabKid,
            eab_hmac: eabHmac,
            http_webroot: fixture.dir,
          }),
          ctx,
          FAST,
        ),
      );
      const { request: again } = await requestFor(['eab.example.com']);
      const second = await unserved.issue(again);
      expect(second.serial).not.toBe(first.serial);
      await expectVerifies(fixture, second.certificatePem, second.chainPem);
    } finally {
      await ctx.cleanup();
    }
  });
});
