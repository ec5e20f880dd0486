import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConnectorError, parseConfig, UnsupportedOperationError, VendorApiError } from '@certctl/core';
import {
  createTestContext,
  createTestCsr,
  type FakeVendor,
  issueRequestFor,
  startFakeVendor,
  type TestContext,
} from '@certctl/connector-testkit';
import { parseCertificate } from '@certctl/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeConfigSchema, type AcmeIssuerConfigInput } from './acme-config.js';
import { type AcmeIssuerOptions, createAcmeIssuer } from './acme-issuer.js';
import { type IssuingAcmeIssuer, issuedOnly } from './test-support/issued-only.js';
import { type FakeAcmeCa, type FakeAcmeCaOptions, startFakeAcmeCa } from './test-support/fake-acme-ca.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'issuer-acme-fake-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

interface Running {
  ca: FakeAcmeCa;
  issue(names: string[], replaces?: string): ReturnType<IssuingAcmeIssuer['issue']>;
  issuer: IssuingAcmeIssuer;
  ctx: TestContext;
  close(): Promise<void>;
}

async function start(
  caOptions: FakeAcmeCaOptions,
  config: Partial<AcmeIssuerConfigInput> = {},
  options: AcmeIssuerOptions = {},
): Promise<Running> {
  const ca = await startFakeAcmeCa(caOptions);
  const caPath = join(dir, `ca-${Math.random().toString(36).slice(2)}.pem`);
  await writeFile(caPath, ca.tlsCaPem);
  const ctx = await createTestContext();
  const parsed = parseConfig(acmeConfigSchema, {
    directory_url: ca.directoryUrl,
    email: 'ops@example.com',
    ca_bundle_path: caPath,
    ...config,
  });
  const issuer = issuedOnly(createAcmeIssuer(parsed, ctx, { backoff: { min: 50, max: 200 }, ...options }));
  return {
    ca,
    ctx,
    issuer,
    async issue(names, replaces) {
      const csr = await createTestCsr({ commonName: names[0], sans: { dns: names } });
      return issuer.issue(
        issueRequestFor(csr, {
          commonName: names[0]!,
          sans: { dns: names, ip: [], email: [], uri: [] },
          replacesCertificatePem: replaces,
        }),
      );
    },
    async close() {
      await issuer.stop();
      await ctx.cleanup();
      await ca.close();
    },
  };
}

/** The RFC 9773 id computed by openssl, independently of @certctl/pki. */
function opensslAriId(certificatePem: string): string {
  const text = execFileSync('openssl', ['x509', '-noout', '-serial', '-ext', 'authorityKeyIdentifier'], {
    input: certificatePem,
    encoding: 'utf8',
  });
  const serialHex = /serial=([0-9A-F]+)/.exec(text)![1]!;
  const akiHex = /keyid:([0-9A-F:]+)|\n\s+([0-9A-F]{2}(?::[0-9A-F]{2})+)/
    .exec(text)!
    .slice(1)
    .find(Boolean)!
    .replace(/:/g, '');
  let serial = Buffer.from(serialHex.length % 2 ? `0${serialHex}` : serialHex, 'hex');
  if (serial[0]! & 0x80) serial = Buffer.concat([Buffer.from([0]), serial]);
  return `${Buffer.from(akiHex, 'hex').toString('base64url')}.${serial.toString('base64url')}`;
}

const PROFILES = {
  tlsserver: { description: 'standard TLS server certificates', validityDays: 90 },
  shortlived: { description: '6-day certificates', validityDays: 6 },
};

describe('ACME profiles (fake CA, pebble 2.4 has none)', () => {
  it("sends the configured profile in newOrder and gets that profile's certificate", async () => {
    const run = await start({ profiles: PROFILES }, { profile: 'shortlived' });
    try {
      const issued = await run.issue(['short.example.com']);
      expect(run.ca.orders.at(-1)).toMatchObject({
        profile: 'shortlived',
        identifiers: [{ type: 'dns', value: 'short.example.com' }],
      });
      const days = (issued.notAfter.getTime() - issued.notBefore.getTime()) / 86_400_000;
      expect(days).toBeCloseTo(6, 1);
    } finally {
      await run.close();
    }
  });

  it('sends no profile when none is configured', async () => {
    const run = await start({ profiles: PROFILES });
    try {
      await run.issue(['default.example.com']);
      expect(run.ca.orders.at(-1)).not.toHaveProperty('profile');
    } finally {
      await run.close();
    }
  });

  it('refuses a profile the CA does not offer before placing an order, naming the ones it does', async () => {
    const run = await start({ profiles: PROFILES }, { profile: 'forever' });
    try {
      const error = await run.issue(['x.example.com']).catch((e: unknown) => e);
      expect(UnsupportedOperationError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/no ACME profile "forever" \(it offers tlsserver, shortlived\)/);
      expect(run.ca.orders).toHaveLength(0);
    } finally {
      await run.close();
    }
  });

  it('refuses a profile when the CA has no profiles at all', async () => {
    const run = await start({}, { profile: 'shortlived' });
    try {
      await expect(run.issue(['x.example.com'])).rejects.toThrow(/does not support ACME profiles/);
      expect(run.ca.orders).toHaveLength(0);
    } finally {
      await run.close();
    }
  });
});

describe('ACME Renewal Information, RFC 9773 (fake CA)', () => {
  let run: Running;
  beforeAll(async () => {
    run = await start({}, { ari_enabled: true });
  });
  afterAll(() => run?.close());

  it('asks renewalInfo/<AKI>.<serial> (the id openssl computes too) and returns the window with Retry-After', async () => {
    const issued = await run.issue(['ari.example.com']);
    const info = await run.issuer.renewalInfo(issued.certificatePem);
    expect(run.ca.renewalInfoRequests.at(-1)).toBe(`/renewal-info/${opensslAriId(issued.certificatePem)}`);
    expect(info).toBeDefined();
    expect(info!.suggestedWindow.start.getTime()).toBeLessThan(info!.suggestedWindow.end.getTime());
    expect(info!.suggestedWindow.start.getTime()).toBeGreaterThan(issued.notBefore.getTime());
    expect(info!.suggestedWindow.end.getTime()).toBeLessThan(issued.notAfter.getTime());
    expect(info!.retryAfterSeconds).toBe(21_600);
  });

  it('passes explanationURL through and rejects a window whose end is not after its start', async () => {
    const issued = await run.issue(['ari2.example.com']);
    const id = opensslAriId(issued.certificatePem);
    run.ca.setRenewalInfo(id, {
      suggestedWindow: { start: '2030-01-01T00:00:00Z', end: '2030-01-02T00:00:00Z' },
      explanationURL: 'https://ca.example/incident',
    });
    const info = await run.issuer.renewalInfo(issued.certificatePem);
    expect(info).toEqual({
      suggestedWindow: { start: new Date('2030-01-01T00:00:00Z'), end: new Date('2030-01-02T00:00:00Z') },
      explanationUrl: 'https://ca.example/incident',
    });
    run.ca.setRenewalInfo(id, { suggestedWindow: { start: '2030-01-02T00:00:00Z', end: '2030-01-01T00:00:00Z' } });
    const error = await run.issuer.renewalInfo(issued.certificatePem).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error)).toBe(true);
  });

  it('returns undefined for a certificate the CA does not know (404), so the policy window applies', async () => {
    const foreign = await (await import('@certctl/connector-testkit')).createTestCa();
    const leaf = await foreign.issue({ commonName: 'other.example.com' });
    expect(await run.issuer.renewalInfo(leaf.certificatePem)).toBeUndefined();
  });

  it("orders a renewal with `replaces` set to the old certificate's id", async () => {
    const first = await run.issue(['replace.example.com']);
    await run.issue(['replace.example.com'], first.certificatePem);
    expect(run.ca.orders.at(-1)?.replaces).toBe(opensslAriId(first.certificatePem));
  });

  it('orders again without `replaces` when the CA answers alreadyReplaced', async () => {
    const first = await run.issue(['twice.example.com']);
    await run.issue(['twice.example.com'], first.certificatePem);
    const again = await run.issue(['twice.example.com'], first.certificatePem);
    expect(run.ca.orders.at(-2)?.replaces).toBe(opensslAriId(first.certificatePem));
    expect(run.ca.orders.at(-1)).not.toHaveProperty('replaces');
    expect(again.serial).toMatch(/^[0-9a-f]+$/);
    expect(run.ctx.logs.some((l) => l.level === 'warn' && /already replaced/.test(l.message ?? ''))).toBe(true);
  });
});

describe('ARI fallbacks', () => {
  it('returns undefined without asking when the CA has no renewalInfo in its directory', async () => {
    const run = await start({ renewalInfo: false }, { ari_enabled: true });
    try {
      const issued = await run.issue(['noari.example.com']);
      expect(run.ca.orders.at(-1)).not.toHaveProperty('replaces');
      expect(await run.issuer.renewalInfo(issued.certificatePem)).toBeUndefined();
      expect(run.ca.renewalInfoRequests).toHaveLength(0);
    } finally {
      await run.close();
    }
  });

  it('returns undefined without asking when ari_enabled is false', async () => {
    const run = await start({});
    try {
      const issued = await run.issue(['off.example.com']);
      expect(await run.issuer.renewalInfo(issued.certificatePem)).toBeUndefined();
      expect(run.ca.renewalInfoRequests).toHaveLength(0);
    } finally {
      await run.close();
    }
  });
});

describe('External Account Binding (fake CA)', () => {
  const hmac = Buffer.from('zerossl-like-hmac-key-0123456789').toString('base64url');

  it("fetches EAB credentials from the ZeroSSL endpoint when the directory is ZeroSSL's and none are configured", async () => {
    const eabRequests: string[] = [];
    const run = await start({
      eabKeys: { 'zs-kid-1': hmac },
      extraRoutes: {
        'POST /acme/eab-credentials-email': (request) => {
          eabRequests.push(request.text());
          if (request.headers['content-type'] !== 'application/x-www-form-urlencoded')
            return { status: 400, body: { success: false } };
          return { status: 200, body: { success: true, eab_kid: 'zs-kid-1', eab_hmac_key: hmac } };
        },
      },
    });
    // ZeroSSL's EAB API is another host than its directory, reached under the app's network policy (ctx.network).
    const ctx = await createTestContext({ network: { allowLoopback: true, ca: [run.ca.tlsCaPem] } });
    try {
      await writeFile(join(dir, 'zs.pem'), run.ca.tlsCaPem);
      const zs = issuedOnly(
        createAcmeIssuer(
          parseConfig(acmeConfigSchema, {
            directory_url: run.ca.directoryUrl,
            email: 'ops@example.com',
            ca_bundle_path: join(dir, 'zs.pem'),
          }),
          ctx,
          {
            zeroSslDirectoryHosts: new Set(['127.0.0.1']),
            zeroSslEabEndpoint: `${run.ca.url}/acme/eab-credentials-email`,
          },
        ),
      );
      const result = await zs.testConnection();
      expect(result.detail).toMatch(/account https:\/\/127\.0\.0\.1:\d+\/account\/1/);
      expect(eabRequests).toEqual(['email=ops%40example.com']);
    } finally {
      await ctx.cleanup();
      await run.close();
    }
  });

  it("does not register without EAB when the CA requires it and the directory is not ZeroSSL's", async () => {
    const run = await start({ eabKeys: { kid: hmac } });
    try {
      const error = await run.issuer.testConnection().catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(/externalAccountBinding/);
    } finally {
      await run.close();
    }
  });

  it('registers with configured eab_kid / eab_hmac and never logs the HMAC key', async () => {
    const run = await start({ eabKeys: { 'my-kid': hmac } }, { eab_kid: 'my-kid', eab_hmac: hmac });
    try {
      const issued = await run.issue(['eab.example.com']);
      expect(parseCertificate(issued.certificatePem).serialNumber).toBe(issued.serial);
      expect(JSON.stringify(run.ctx.logs)).not.toContain(hmac);
    } finally {
      await run.close();
    }
  });
});

describe('dns-persist-01 (fake CA offering draft-ietf-acme-dns-persist)', () => {
  let txtStore: FakeVendor;
  const txt = new Map<string, string[]>();
  let present: string;
  let cleanup: string;
  const hookLog = () => join(dir, 'persist-hook.log');
  beforeAll(async () => {
    // The same management API as pebble-challtestsrv, so the checked-in hook script drives it.
    txtStore = await startFakeVendor({
      tls: false,
      routes: {
        'POST /set-txt': (request) => {
          const { host, value } = request.json() as { host: string; value: string };
          txt.set(host.replace(/\.$/, ''), [...(txt.get(host.replace(/\.$/, '')) ?? []), value]);
          return { status: 200 };
        },
        'POST /clear-txt': (request) => {
          txt.delete((request.json() as { host: string }).host.replace(/\.$/, ''));
          return { status: 200 };
        },
      },
    });
    const hook = fileURLToPath(new URL('./test-support/challtestsrv-dns-hook.sh', import.meta.url));
    const wrapper = async (name: string, action: string) => {
      const path = join(dir, name);
      await writeFile(path, `#!/bin/sh\nHOOK_LOG='${hookLog()}' exec '${hook}' ${action} '${txtStore.url}'\n`, {
        mode: 0o755,
      });
      return path;
    };
    present = await wrapper('persist-present.sh', 'present');
    cleanup = await wrapper('persist-cleanup.sh', 'cleanup');
  });
  afterAll(() => txtStore?.close());

  const persistCa = {
    dnsPersist: { issuerDomainNames: ['ca.example'], lookupTxt: (fqdn: string) => txt.get(fqdn) ?? [] },
  };

  it('publishes "<issuer>; accounturi=<account>" at _validation-persist.<domain> through the hook and never cleans it up', async () => {
    const run = await start(persistCa, {
      challenge_type: 'dns-persist-01',
      dns_present_script: present,
      dns_cleanup_script: cleanup,
      dns_persist_issuer_domain: 'ca.example',
      dns_propagation_wait: 0,
    });
    try {
      const issued = await run.issue(['persist.example.com']);
      expect(issued.serial).toMatch(/^[0-9a-f]+$/);
      const accountUrl = JSON.parse(run.ctx.secretEntries.get('acme_account')!).accountUrl;
      expect(txt.get('_validation-persist.persist.example.com')).toEqual([`ca.example; accounturi=${accountUrl}`]);
      const log = (await readFile(hookLog(), 'utf8')).split('\n').filter(Boolean);
      expect(log).toEqual([`present _validation-persist.persist.example.com ca.example; accounturi=${accountUrl}`]);
    } finally {
      await run.close();
    }
  });

  it('refuses an issuer domain the CA does not name, before running any hook', async () => {
    const run = await start(persistCa, {
      challenge_type: 'dns-persist-01',
      dns_present_script: present,
      dns_persist_issuer_domain: 'wrong.example',
      dns_propagation_wait: 0,
    });
    try {
      await writeFile(hookLog(), '');
      await expect(run.issue(['persist2.example.com'])).rejects.toThrow(
        /names issuer domain\(s\) ca\.example for dns-persist-01, not wrong\.example/,
      );
      expect(await readFile(hookLog(), 'utf8')).toBe('');
    } finally {
      await run.close();
    }
  });
});
