import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsr, generateKeyPair } from '@certctl/pki';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { InjectAcmeClient, newAccountKey } from './test-support/jws-client.js';

async function csrDer(names: string[], algorithm: 'ecdsa-p256' | 'rsa-2048' = 'ecdsa-p256') {
  const keys = await generateKeyPair({ algorithm });
  const csr = await createCsr({
    keys,
    subject: { CN: names[0]! },
    sans: names.map((value) => ({ type: 'dns' as const, value })),
  });
  return { csr: Buffer.from(csr.der).toString('base64url'), keys };
}

async function counts(server: TestServer) {
  const db = server.deps.db;
  const n = async (table: 'acmeAccounts' | 'acmeOrders' | 'certificates' | 'jobs' | 'revocations') =>
    Number(
      (
        await db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll<number>().as('n'))
          .executeTakeFirstOrThrow()
      ).n,
    );
  return {
    accounts: await n('acmeAccounts'),
    orders: await n('acmeOrders'),
    certificates: await n('certificates'),
    jobs: await n('jobs'),
    revocations: await n('revocations'),
  };
}

describeEachDialect('ACME server protocol (trust_authenticated)', (ctx) => {
  let server: TestServer;
  const work = mkdtempSync(join(tmpdir(), 'certctl-acme-proto-'));
  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      installed: true,
      env: {
        CERTCTL_ACME_SERVER_ENABLED: 'true',
        CERTCTL_ACME_SERVER_DEFAULT_PROFILE_ID: 'web',
        CERTCTL_ACME_SERVER_ORDERS_PER_HOUR: '8',
      },
    });
    const created = await call(server.api, 'POST', '/api/v1/profiles', {
      id: 'web',
      name: 'web',
      description: 'Web servers',
      allowed_ekus: ['serverAuth'],
      required_san_patterns: ['**.example.test'],
    });
    expect(created.status).toBe(201);
    expect(created.json.acme_auth_mode).toBe('trust_authenticated');
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('serves the directory with meta.profiles, and nonces that carry over as single-use', async () => {
    const res = await server.api.inject({ method: 'GET', url: '/acme/directory', headers: { host: 'acme.test' } });
    expect(res.statusCode).toBe(200);
    const directory = JSON.parse(res.body);
    expect(directory.newAccount).toBe('https://acme.test/acme/profile/web/new-account');
    expect(directory.renewalInfo).toBe('https://acme.test/acme/profile/web/renewal-info');
    expect(directory.meta.profiles).toEqual({ web: 'Web servers' });
    expect(directory.meta.externalAccountRequired).toBeUndefined();
    const nonce = await server.api.inject({ method: 'HEAD', url: '/acme/profile/web/new-nonce' });
    expect(nonce.statusCode).toBe(200);
    expect(String(nonce.headers['replay-nonce'])).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(nonce.headers['cache-control']).toBe('no-store');
    const unknown = await server.api.inject({ method: 'GET', url: '/acme/profile/nope/directory' });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.headers['content-type']).toContain('application/problem+json');
  });

  it('runs account → order → finalize → download → revoke, with inventory, audit and an openssl-verified chain', async () => {
    const client = await new InjectAcmeClient(server.api, await newAccountKey('ES256'), '/acme/directory').start();
    const account = await client.register({ termsOfServiceAgreed: true, contact: ['mailto:ops@example.test'] });
    expect(account.status).toBe(201);
    expect(account.json.status).toBe('valid');
    expect(client.kid).toMatch(/\/acme\/profile\/web\/account\/acct-/);
    // Same key again: the existing account, 200.
    const again = await client.post(client.directory.newAccount!, { onlyReturnExisting: true }, { jwk: true });
    expect(again.status).toBe(200);
    expect(again.headers.location).toBe(client.kid);

    const order = await client.post(client.directory.newOrder!, {
      identifiers: [
        { type: 'dns', value: 'app.example.test' },
        { type: 'dns', value: 'www.app.example.test' },
      ],
    });
    expect(order.status).toBe(201);
    expect(order.json.status).toBe('ready');
    const authz = await client.post(order.json.authorizations[0], '');
    expect(authz.json.status).toBe('valid');
    expect(authz.json.challenges[0].status).toBe('valid');

    const { csr } = await csrDer(['app.example.test', 'www.app.example.test']);
    const finalized = await client.post(order.json.finalize, { csr });
    expect(finalized.status).toBe(200);
    expect(finalized.json.status).toBe('valid');
    const pem = await client.post(finalized.json.certificate, '');
    expect(pem.headers['content-type']).toBe('application/pem-certificate-chain');
    const blocks = pem.body.match(/-----BEGIN CERTIFICATE-----/g) ?? [];
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    writeFileSync(join(work, 'chain.pem'), pem.body);
    writeFileSync(join(work, 'leaf.pem'), pem.body.slice(0, pem.body.indexOf('-----END CERTIFICATE-----') + 25));
    writeFileSync(join(work, 'ca.pem'), (await call(server.api, 'GET', '/api/v1/issuers/iss-local/ca-chain')).body);
    expect(
      execFileSync('openssl', ['verify', '-CAfile', 'ca.pem', '-untrusted', 'chain.pem', 'leaf.pem'], {
        cwd: work,
        encoding: 'utf8',
      }),
    ).toContain('leaf.pem: OK');
    expect(
      execFileSync('openssl', ['x509', '-in', 'leaf.pem', '-noout', '-ext', 'subjectAltName'], {
        cwd: work,
        encoding: 'utf8',
      }),
    ).toContain('DNS:www.app.example.test');

    // The certificate is in the inventory, owned by the ACME team, with the audit trail of an ordinary issuance.
    const inventory = await call(server.api, 'GET', '/api/v1/certificates?per_page=100');
    const managed = inventory.json.data!.find((c) => c.common_name === 'app.example.test')!;
    expect(managed.status).toBe('active');
    expect(managed.profile_id).toBe('web');
    expect((managed.tags as Record<string, string>).source).toBe('acme');
    const audit = await call(server.api, 'GET', `/api/v1/audit?resource_id=${managed.id}`);
    expect(audit.json.data!.map((e) => e.action)).toEqual(
      expect.arrayContaining(['certificate_created', 'issuance_job_created', 'issuance_job_completed']),
    );

    // ARI: a window from the renewal policy, inside the validity.
    const leaf = new (await import('node:crypto')).X509Certificate(
      pem.body.slice(0, pem.body.indexOf('-----END CERTIFICATE-----') + 25),
    );
    const { ariCertificateId } = await import('@certctl/pki');
    const ari = await server.api.inject({
      method: 'GET',
      url: `/acme/profile/web/renewal-info/${ariCertificateId(leaf.toString())}`,
    });
    expect(ari.statusCode).toBe(200);
    expect(ari.headers['retry-after']).toBe('21600');
    const window = JSON.parse(ari.body).suggestedWindow;
    expect(new Date(window.start).getTime()).toBeLessThan(new Date(window.end).getTime());
    expect(new Date(window.end).getTime()).toBeLessThanOrEqual(new Date(leaf.validTo).getTime());

    // Revoke by the account: reaches the platform revocation (and so the CRL).
    const der = leaf.raw.toString('base64url');
    const revoked = await client.post(client.directory.revokeCert!, { certificate: der, reason: 1 });
    expect(revoked.status).toBe(200);
    expect((await call(server.api, 'GET', `/api/v1/certificates/${managed.id}`)).json.status).toBe('revoked');
    const twice = await client.post(client.directory.revokeCert!, { certificate: der });
    expect(twice.json.type).toBe('urn:ietf:params:acme:error:alreadyRevoked');
    const ariAfter = JSON.parse(
      (
        await server.api.inject({
          method: 'GET',
          url: `/acme/profile/web/renewal-info/${ariCertificateId(leaf.toString())}`,
        })
      ).body,
    );
    expect(new Date(ariAfter.suggestedWindow.end).getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  });

  it('answers bad requests with the right problem document and changes nothing', async () => {
    const client = await new InjectAcmeClient(server.api, await newAccountKey('EdDSA'), '/acme/directory').start();
    await client.register();
    const order = await client.post(client.directory.newOrder!, {
      identifiers: [{ type: 'dns', value: 'api.example.test' }],
    });
    expect(order.status).toBe(201);
    const before = await counts(server);

    // Replayed nonce: badNonce, with a fresh nonce to retry with.
    const nonce = await client.nonce();
    const first = await client.post(
      client.directory.newOrder!,
      { identifiers: [{ type: 'dns', value: 'x.example.test' }] },
      { nonce, headerUrl: 'https://acme.test:443/wrong' },
    );
    expect(first.json.type).toBe('urn:ietf:params:acme:error:unauthorized');
    const bogus = await client.post(
      client.directory.newOrder!,
      { identifiers: [{ type: 'dns', value: 'x.example.test' }] },
      { nonce: 'bm90LWEtbm9uY2U' },
    );
    expect(bogus.status).toBe(400);
    expect(bogus.json.type).toBe('urn:ietf:params:acme:error:badNonce');
    expect(bogus.headers['replay-nonce']).toMatch(/^[A-Za-z0-9_-]+$/);
    const used = await client.nonce();
    await client.post(`${client.kid}`, '', { nonce: used });
    const replay = await client.post(
      client.directory.newOrder!,
      { identifiers: [{ type: 'dns', value: 'x.example.test' }] },
      { nonce: used },
    );
    expect(replay.json.type).toBe('urn:ietf:params:acme:error:badNonce');

    // Wrong url in the protected header.
    const wrongUrl = await client.post(
      client.directory.newOrder!,
      { identifiers: [{ type: 'dns', value: 'x.example.test' }] },
      { headerUrl: client.directory.newAccount },
    );
    expect(wrongUrl.status).toBe(403);
    expect(wrongUrl.json.type).toBe('urn:ietf:params:acme:error:unauthorized');

    // Malformed JWS bodies and the wrong content type.
    expect((await client.postRaw(client.directory.newOrder!, '{"protected":1}')).json.type).toBe(
      'urn:ietf:params:acme:error:malformed',
    );
    expect((await client.postRaw(client.directory.newOrder!, 'not json')).json.type).toBe(
      'urn:ietf:params:acme:error:malformed',
    );
    const jsonType = await client.postRaw(client.directory.newOrder!, '{}', 'application/json');
    expect(jsonType.status).toBe(415);
    expect(jsonType.json.type).toBe('urn:ietf:params:acme:error:malformed');
    const other = await newAccountKey('ES256');
    const forged = await client.post(
      client.directory.newOrder!,
      { identifiers: [{ type: 'dns', value: 'x.example.test' }] },
      { key: other },
    );
    expect(forged.json.type).toBe('urn:ietf:params:acme:error:malformed');
    expect(forged.json.detail).toContain('signature');

    // Oversized body.
    const huge = await client.postRaw(
      client.directory.newOrder!,
      JSON.stringify({ protected: 'a'.repeat(70_000), payload: '', signature: 'x' }),
    );
    expect(huge.status).toBe(413);
    expect(huge.json.type).toBe('urn:ietf:params:acme:error:malformed');

    // Names the profile does not allow.
    const rejected = await client.post(client.directory.newOrder!, {
      identifiers: [{ type: 'dns', value: 'evil.other.test' }],
    });
    expect(rejected.json.type).toBe('urn:ietf:params:acme:error:rejectedIdentifier');

    // A CSR for other names than the order: badCSR, the order stays ready.
    const { csr } = await csrDer(['other.example.test']);
    const bad = await client.post(order.json.finalize, { csr });
    expect(bad.status).toBe(400);
    expect(bad.json.type).toBe('urn:ietf:params:acme:error:badCSR');
    const garbage = await client.post(order.json.finalize, { csr: 'AAAA' });
    expect(garbage.json.type).toBe('urn:ietf:params:acme:error:badCSR');
    const still = await client.post(order.headers.location as string, '');
    expect(still.json.status).toBe('ready');

    // Another account cannot read this order.
    const stranger = await new InjectAcmeClient(server.api, await newAccountKey('ES256'), '/acme/directory').start();
    const unknownKid = await stranger.post(order.headers.location as string, '', {}).catch(() => undefined);
    expect(unknownKid?.json.type).toBe('urn:ietf:params:acme:error:malformed');
    expect(await counts(server)).toEqual(before);
    await stranger.register();
    const foreign = await stranger.post(order.headers.location as string, '');
    expect(foreign.json.type).toBe('urn:ietf:params:acme:error:unauthorized');
  });

  it('renews with ARI replaces into the same managed certificate, once, and only for its own account', async () => {
    const { ariCertificateId } = await import('@certctl/pki');
    const client = await new InjectAcmeClient(server.api, await newAccountKey('ES256'), '/acme/directory').start();
    await client.register();
    const identifiers = [{ type: 'dns', value: 'ari.example.test' }];
    const issue = async (extra: Record<string, unknown> = {}) => {
      const order = await client.post(client.directory.newOrder!, { identifiers, ...extra });
      if (order.status !== 201) return order;
      const done = await client.post(order.json.finalize, { csr: (await csrDer(['ari.example.test'])).csr });
      const pem = (await client.post(done.json.certificate, '')).body;
      return { ...done, pem: pem.slice(0, pem.indexOf('-----END CERTIFICATE-----') + 25) };
    };
    const first = (await issue()) as { pem: string };
    const ariId = ariCertificateId(first.pem);
    const stranger = await new InjectAcmeClient(server.api, await newAccountKey('ES256'), '/acme/directory').start();
    await stranger.register();
    const foreign = await stranger.post(stranger.directory.newOrder!, { identifiers, replaces: ariId });
    expect(foreign.json.type).toBe('urn:ietf:params:acme:error:unauthorized');
    const renewal = await client.post(client.directory.newOrder!, { identifiers, replaces: ariId });
    expect(renewal.status).toBe(201);
    expect(renewal.json.replaces).toBe(ariId);
    const again = await client.post(client.directory.newOrder!, { identifiers, replaces: ariId });
    expect(again.status).toBe(409);
    expect(again.json.type).toBe('urn:ietf:params:acme:error:alreadyReplaced');
    const done = await client.post(renewal.json.finalize, { csr: (await csrDer(['ari.example.test'])).csr });
    expect(done.json.status).toBe('valid');
    const managed = (await call(server.api, 'GET', '/api/v1/certificates?per_page=100')).json.data!.filter(
      (c) => c.common_name === 'ari.example.test',
    );
    expect(managed).toHaveLength(1);
    const versions = await call(server.api, 'GET', `/api/v1/certificates/${managed[0]!.id}/versions`);
    expect(versions.json.total).toBe(2);
    const jobs = await server.deps.db
      .selectFrom('jobs')
      .select(['type', 'trigger'])
      .where('certificateId', '=', String(managed[0]!.id))
      .orderBy('createdAt')
      .execute();
    expect(jobs).toEqual([
      { type: 'issuance', trigger: 'acme' },
      { type: 'renewal', trigger: 'acme_ari' },
    ]);
  });

  it('accepts a nonce on another replica of the same database, exactly once', async () => {
    const replica = await startTestServer({
      database: ctx,
      installed: true,
      replicaId: 'replica-b',
      env: { CERTCTL_ACME_SERVER_ENABLED: 'true', CERTCTL_ACME_SERVER_DEFAULT_PROFILE_ID: 'web' },
    });
    try {
      const key = await newAccountKey('ES256');
      const onA = await new InjectAcmeClient(server.api, key, '/acme/directory').start();
      const onB = await new InjectAcmeClient(replica.api, key, '/acme/directory').start();
      const nonce = await onA.nonce();
      const created = await onB.post(onB.directory.newAccount!, { termsOfServiceAgreed: true }, { jwk: true, nonce });
      expect(created.status).toBe(201);
      const replayed = await onA.post(onA.directory.newAccount!, { termsOfServiceAgreed: true }, { jwk: true, nonce });
      expect(replayed.json.type).toBe('urn:ietf:params:acme:error:badNonce');
    } finally {
      await replica.stop();
    }
  });

  it('holds a finalized order in processing while the profile requires approval, then issues once approved', async () => {
    const gated = await call(server.api, 'POST', '/api/v1/profiles', {
      id: 'gated',
      name: 'gated',
      description: 'Needs approval',
      requires_approval: true,
    });
    expect(gated.status).toBe(201);
    const client = await new InjectAcmeClient(
      server.api,
      await newAccountKey('ES256'),
      '/acme/profile/gated/directory',
    ).start();
    await client.register();
    const order = await client.post(client.directory.newOrder!, {
      identifiers: [{ type: 'dns', value: 'gated.example.test' }],
    });
    const finalized = await client.post(order.json.finalize, { csr: (await csrDer(['gated.example.test'])).csr });
    expect(finalized.json.status).toBe('processing');
    expect(finalized.headers['retry-after']).toBe('1');
    const job = await server.deps.db
      .selectFrom('acmeOrders')
      .innerJoin('jobs', 'jobs.id', 'acmeOrders.jobId')
      .select(['jobs.id', 'jobs.status'])
      .where('acmeOrders.id', '=', String(order.headers.location).split('/').pop()!)
      .executeTakeFirstOrThrow();
    expect(job.status).toBe('awaiting_approval');
    expect((await call(server.api, 'POST', `/api/v1/jobs/${job.id}/approve`, { note: 'ok' })).status).toBe(200);
    await server.runner.runOnce();
    const valid = await client.post(String(order.headers.location), '');
    expect(valid.json.status).toBe('valid');
    expect((await client.post(valid.json.certificate, '')).body).toContain('BEGIN CERTIFICATE');
  });

  it('limits new orders per account per hour with rateLimited and Retry-After', async () => {
    const client = await new InjectAcmeClient(server.api, await newAccountKey('ES256'), '/acme/directory').start();
    await client.register();
    for (let i = 0; i < 8; i++)
      expect(
        (await client.post(client.directory.newOrder!, { identifiers: [{ type: 'dns', value: `r${i}.example.test` }] }))
          .status,
      ).toBe(201);
    const limited = await client.post(client.directory.newOrder!, {
      identifiers: [{ type: 'dns', value: 'r9.example.test' }],
    });
    expect(limited.status).toBe(429);
    expect(limited.json.type).toBe('urn:ietf:params:acme:error:rateLimited');
    expect(limited.headers['retry-after']).toBeDefined();
  });

  it('rolls the account key with a doubly signed key-change, deactivates, and refuses the old key', async () => {
    const oldKey = await newAccountKey('ES256');
    const client = await new InjectAcmeClient(server.api, oldKey, '/acme/directory').start();
    await client.register();
    const newKey = await newAccountKey('RS256');
    const { signJws } = await import('./test-support/jws-client.js');
    const inner = await signJws(
      newKey,
      { jwk: newKey.jwk, url: client.directory.keyChange },
      { account: client.kid, oldKey: oldKey.jwk },
    );
    const changed = await client.post(client.directory.keyChange!, inner);
    expect(changed.status).toBe(200);
    const withOld = await client.post(client.kid!, '');
    expect(withOld.json.type).toBe('urn:ietf:params:acme:error:malformed');
    const withNew = await client.post(client.kid!, '', { key: newKey });
    expect(withNew.status).toBe(200);
    const lookup = await client.post(
      client.directory.newAccount!,
      { onlyReturnExisting: true },
      { jwk: true, key: newKey },
    );
    expect(lookup.headers.location).toBe(client.kid);
    const deactivated = await client.post(client.kid!, { status: 'deactivated' }, { key: newKey });
    expect(deactivated.json.status).toBe('deactivated');
    const after = await client.post(
      client.directory.newOrder!,
      { identifiers: [{ type: 'dns', value: 'z.example.test' }] },
      { key: newKey },
    );
    expect(after.json.type).toBe('urn:ietf:params:acme:error:unauthorized');
  });

  it('counts accounts and orders in the Prometheus metrics', async () => {
    const value = async (series: string) => {
      const metrics = (await call(server.api, 'GET', '/metrics')).body;
      return Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)$`, 'm').exec(metrics)?.[1] ?? 0);
    };
    const accounts = 'certctl_acme_accounts_created_total{profile="web"}';
    const orders = 'certctl_acme_orders_created_total{profile="web",auth_mode="trust_authenticated"}';
    const [accountsBefore, ordersBefore] = [await value(accounts), await value(orders)];
    expect(ordersBefore).toBeGreaterThanOrEqual(8);
    const client = await new InjectAcmeClient(server.api, await newAccountKey('ES256'), '/acme/directory').start();
    await client.register({ termsOfServiceAgreed: true });
    await client.post(client.directory.newAccount!, { onlyReturnExisting: true }, { jwk: true });
    const order = await client.post(client.directory.newOrder!, {
      identifiers: [{ type: 'dns', value: 'metrics.example.test' }],
    });
    expect(order.status).toBe(201);
    expect(await value(accounts)).toBe(accountsBefore + 1);
    expect(await value(orders)).toBe(ordersBefore + 1);
    expect(await value('certctl_acme_orders{status="valid"}')).toBeGreaterThanOrEqual(2);
    expect(await value('certctl_acme_orders{status="ready"}')).toBeGreaterThanOrEqual(1);
  });
});
