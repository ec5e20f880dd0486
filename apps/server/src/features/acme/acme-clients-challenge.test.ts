import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import type { DialectContext } from '../../testing/each-dialect.js';
import { type AcmeHarness, explain, freePort, run, startAcmeHarness } from './test-support/acme-client-harness.js';
import { InjectAcmeClient, newAccountKey } from './test-support/jws-client.js';

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The `challenge` auth mode with real validation on loopback: HTTP-01 against certbot's and lego's
 * standalone servers, TLS-ALPN-01 against lego's. Names resolve to 127.0.0.1 through
 * CERTCTL_ACME_SERVER_VALIDATION_HOSTS, and only 127.0.0.1 is allowed past the SSRF policy.
 */
describe('ACME clients in challenge mode', () => {
  let acme: AcmeHarness;
  let httpPort: number;
  let tlsPort: number;
  const ctx = { dialect: 'pglite' } as DialectContext;
  beforeAll(async () => {
    ctx.pglite = await PGlite.create('memory://');
    httpPort = await freePort();
    tlsPort = await freePort();
    acme = await startAcmeHarness(ctx, {
      env: {
        CERTCTL_ACME_SERVER_DEFAULT_PROFILE_ID: 'public',
        CERTCTL_ACME_SERVER_HTTP01_PORT: String(httpPort),
        CERTCTL_ACME_SERVER_TLSALPN01_PORT: String(tlsPort),
        CERTCTL_ACME_SERVER_VALIDATION_HOSTS:
          'certbot.example.test=127.0.0.1,lego.example.test=127.0.0.1,alpn.example.test=127.0.0.1,nobody.example.test=127.0.0.1,ssrf.example.test=10.0.0.1',
        CERTCTL_ACME_SERVER_VALIDATION_ALLOW: '127.0.0.1/32',
        CERTCTL_ACME_SERVER_VALIDATION_TIMEOUT: '3s',
      },
      profiles: [{ id: 'public', name: 'public', description: 'Validated names', acme_auth_mode: 'challenge' }],
    });
  }, 120_000);
  afterAll(async () => {
    await acme?.stop();
    await ctx.pglite?.close();
  });

  it('certbot --standalone passes HTTP-01 on a loopback port', async () => {
    const dir = acme.newDir('certbot');
    const result = await run(
      'certbot',
      [
        'certonly',
        '--config-dir',
        join(dir, 'config'),
        '--work-dir',
        join(dir, 'work'),
        '--logs-dir',
        join(dir, 'logs'),
        '--non-interactive',
        '--server',
        `${acme.server.urls.api}/acme/directory`,
        '--agree-tos',
        '--register-unsafely-without-email',
        '--standalone',
        '--http-01-port',
        String(httpPort),
        '--http-01-address',
        '127.0.0.1',
        '-d',
        'certbot.example.test',
        '--cert-name',
        'c',
      ],
      { env: { REQUESTS_CA_BUNDLE: acme.caFile }, cwd: dir },
    );
    expect(result.code, explain(result)).toBe(0);
    const live = join(dir, 'config', 'live', 'c');
    expect((await acme.opensslVerify(join(live, 'cert.pem'), join(live, 'chain.pem'))).stdout).toContain(': OK');
    const events = await acme.server.deps.db
      .selectFrom('auditEvents')
      .select(['action', 'details'])
      .where('action', '=', 'acme_challenge_valid')
      .execute();
    expect(events.map((e) => (e.details as { type: string; identifier: string }).identifier)).toContain(
      'certbot.example.test',
    );
  }, 90_000);

  it('lego passes HTTP-01 and TLS-ALPN-01 on loopback ports', async () => {
    const dir = acme.newDir('lego');
    const env = { LEGO_CA_CERTIFICATES: acme.caFile };
    const base = ['--server', acme.directory('public'), '--accept-tos', '--email', 'ops@example.test', '--path', dir];
    const http = await run(
      'lego',
      [...base, '--domains', 'lego.example.test', '--http', '--http.port', `127.0.0.1:${httpPort}`, 'run'],
      { env, cwd: dir },
    );
    expect(http.code, explain(http)).toBe(0);
    const alpn = await run(
      'lego',
      [...base, '--domains', 'alpn.example.test', '--tls', '--tls.port', `127.0.0.1:${tlsPort}`, 'run'],
      { env, cwd: dir },
    );
    expect(alpn.code, explain(alpn)).toBe(0);
    for (const name of ['lego.example.test', 'alpn.example.test']) {
      const certFile = join(dir, 'certificates', `${name}.crt`);
      expect((await acme.opensslVerify(certFile, certFile)).stdout).toContain(': OK');
    }
    const types = (
      await acme.server.deps.db
        .selectFrom('auditEvents')
        .select('details')
        .where('action', '=', 'acme_challenge_valid')
        .execute()
    ).map((e) => (e.details as { type: string }).type);
    expect(types).toEqual(expect.arrayContaining(['http-01', 'tls-alpn-01']));
  }, 90_000);

  it('a challenge nobody answers, or one pointing at a refused address, invalidates the order with a problem', async () => {
    const client = await new InjectAcmeClient(acme.server.api, await newAccountKey(), '/acme/directory').start();
    await client.register();
    for (const [name, type] of [
      ['nobody.example.test', 'urn:ietf:params:acme:error:connection'],
      ['ssrf.example.test', 'urn:ietf:params:acme:error:connection'],
    ] as const) {
      const order = await client.post(client.directory.newOrder!, { identifiers: [{ type: 'dns', value: name }] });
      expect(order.json.status).toBe('pending');
      const authzUrl = order.json.authorizations[0] as string;
      const authz = await client.post(authzUrl, '');
      expect(authz.json.status).toBe('pending');
      expect(authz.json.challenges.map((c: { type: string }) => c.type).sort()).toEqual([
        'dns-01',
        'http-01',
        'tls-alpn-01',
      ]);
      const http = authz.json.challenges.find((c: { type: string }) => c.type === 'http-01');
      // Finalizing before the authorizations are valid is refused.
      const early = await client.post(order.json.finalize, { csr: 'AAAA' });
      expect(early.json.type).toBe('urn:ietf:params:acme:error:orderNotReady');
      const responded = await client.post(http.url, {});
      expect(['processing', 'invalid']).toContain(responded.json.status);
      const settled = await waitFor(
        () => client.post(authzUrl, ''),
        (r) => r.json.status !== 'pending',
      );
      expect(settled.json.status).toBe('invalid');
      const challenge = settled.json.challenges.find((c: { type: string }) => c.type === 'http-01');
      expect(challenge.error.type).toBe(type);
      if (name === 'ssrf.example.test') expect(challenge.error.detail).toContain('10.0.0.1');
      const after = await client.post(order.headers.location as string, '');
      expect(after.json.status).toBe('invalid');
    }
  }, 60_000);

  it('counts challenge validations by type and result, and orders by status, in the Prometheus metrics', async () => {
    const metrics = (await call(acme.server.api, 'GET', '/metrics')).body;
    const value = (series: string) =>
      Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    // certbot and lego (HTTP-01, TLS-ALPN-01) passed above; nobody and ssrf failed HTTP-01.
    expect(value('certctl_acme_challenge_validations_total{type="http-01",result="valid"}')).toBeGreaterThanOrEqual(2);
    expect(value('certctl_acme_challenge_validations_total{type="tls-alpn-01",result="valid"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(value('certctl_acme_challenge_validations_total{type="http-01",result="invalid"}')).toBe(2);
    expect(value('certctl_acme_orders_created_total{profile="public",auth_mode="challenge"}')).toBeGreaterThanOrEqual(
      5,
    );
    expect(value('certctl_acme_orders{status="invalid"}')).toBe(2);
    expect(value('certctl_acme_orders{status="valid"}')).toBeGreaterThanOrEqual(3);
  });
});
