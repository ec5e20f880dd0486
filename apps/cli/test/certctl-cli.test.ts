import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { createCertificateAuthority, generateKeyPair, parseCertificate, signCertificate } from '@certctl/pki';
import {
  call,
  createTestCa,
  describeEachDialect,
  KEYS,
  startTestServer,
  type TestServer,
} from '@certctl/server/testing';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXIT } from '../src/exit-codes.js';
import { runCertctl } from './cli-support.js';

const EST_PASSWORD = 'est-enrollment-secret-0123';
const BOOTSTRAP = 'cli-agent-bootstrap-token-0123456789';

describeEachDialect('certctl against a real server', (ctx) => {
  let server: TestServer;
  let tmp: string;
  let env: Record<string, string>;
  let ids: { team: string; owner: string; policy: string };
  /** A CA that lists what it already issued, for `issuers import`. */
  const listingCa = createTestCa({ listExisting: true });
  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'certctl-cli-test-'));
    // EST client certificates are trusted from this file; it holds the local CA once the server runs.
    const placeholder = await createCertificateAuthority({ subject: { CN: 'placeholder EST client CA' } });
    writeFileSync(join(tmp, 'est-client-cas.pem'), placeholder.certificate.pem);
    server = await startTestServer({
      database: ctx,
      listen: true,
      scheduler: true,
      installed: true,
      connectors: [listingCa.manifest],
      env: {
        CERTCTL_EST_PROFILES: 'corp',
        CERTCTL_EST_PROFILE_CORP_ISSUER_ID: 'iss-local',
        CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES: 'basic,mtls',
        CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD: EST_PASSWORD,
        CERTCTL_EST_PROFILE_CORP_MTLS_ENABLED: 'true',
        CERTCTL_EST_PROFILE_CORP_MTLS_CLIENT_CA_TRUST_BUNDLE_PATH: join(tmp, 'est-client-cas.pem'),
        CERTCTL_AGENT_BOOTSTRAP_TOKEN: BOOTSTRAP,
        // The webhook notifier below points at a closed loopback port.
        CERTCTL_NETWORK_ALLOW: '127.0.0.1',
      },
    });
    writeFileSync(join(tmp, 'server-ca.pem'), server.tls.caPem!);
    writeFileSync(
      join(tmp, 'est-client-cas.pem'),
      (await call(server.api, 'GET', '/api/v1/issuers/iss-local/ca-chain')).body,
    );
    env = {
      CERTCTL_SERVER_URL: server.urls.api!,
      CERTCTL_API_KEY: KEYS.admin,
      CERTCTL_CA_BUNDLE: join(tmp, 'server-ca.pem'),
      XDG_CONFIG_HOME: tmp,
    };
    const team = await call(server.api, 'POST', '/api/v1/teams', { name: 'cli-team' });
    const owner = await call(server.api, 'POST', '/api/v1/owners', { name: 'Ops', email: 'ops@example.com' });
    const policy = await call(server.api, 'POST', '/api/v1/renewal-policies', {
      name: 'cli-policy',
      renewal_window_days: 30,
    });
    ids = { team: String(team.json.id), owner: String(owner.json.id), policy: String(policy.json.id) };
  });
  afterAll(async () => {
    await server?.stop();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  const createArgs = (id: string) => [
    'certs',
    'create',
    '--id',
    id,
    '--name',
    id,
    '--cn',
    `${id}.example.com`,
    '--san',
    `www.${id}.example.com`,
    '--issuer',
    'iss-local',
    '--owner',
    ids.owner,
    '--team',
    ids.team,
    '--renewal-policy',
    ids.policy,
    '--key-out',
    join(tmp, `${id}.key`),
  ];

  it('creates a certificate and waits for its issuance, then lists, gets, exports, renews and revokes it', async () => {
    const created = await runCertctl(['-o', 'json', ...createArgs('mc-cli-web'), '--wait'], env);
    expect(created.stderr).toContain('waiting for issuance job');
    expect(created.code, created.stderr).toBe(EXIT.ok);
    expect(created.code).toBe(EXIT.ok);
    expect(JSON.parse(created.stdout)).toMatchObject({ id: 'mc-cli-web', status: 'active' });
    expect(readFileSync(join(tmp, 'mc-cli-web.key'), 'utf8')).toContain('PRIVATE KEY');

    const listed = await runCertctl(['certs', 'list', '-o', 'json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((c: { id: string }) => c.id)).toContain('mc-cli-web');

    const yaml = await runCertctl(['certs', 'get', 'mc-cli-web', '-o', 'yaml'], env);
    expect(parseYaml(yaml.stdout)).toMatchObject({ id: 'mc-cli-web', common_name: 'mc-cli-web.example.com' });

    const pem = await runCertctl(['certs', 'export', 'mc-cli-web'], env);
    expect(pem.code).toBe(0);
    expect(parseCertificate(pem.stdout).subjectCommonName).toBe('mc-cli-web.example.com');

    const renewed = await runCertctl(['certs', 'renew', 'mc-cli-web', '--wait', '-o', 'json'], env);
    expect(renewed.code).toBe(0);
    expect(JSON.parse(renewed.stdout)).toMatchObject({ type: 'renewal', status: 'succeeded' });

    const jobs = await runCertctl(['jobs', 'list', '--certificate', 'mc-cli-web', '-o', 'json'], env);
    expect(
      JSON.parse(jobs.stdout)
        .map((j: { type: string }) => j.type)
        .sort(),
    ).toEqual(['issuance', 'renewal']);

    const revoked = await runCertctl(['certs', 'revoke', 'mc-cli-web', '--reason', 'keyCompromise', '-o', 'json'], env);
    expect(revoked.code).toBe(0);
    const after = await runCertctl(['certs', 'get', 'mc-cli-web', '-o', 'json'], env);
    expect(JSON.parse(after.stdout).status).toBe('revoked');

    const audit = await runCertctl(['audit', 'list', '--resource-id', 'mc-cli-web', '-o', 'json'], env);
    expect(audit.code).toBe(0);
    expect(JSON.parse(audit.stdout).length).toBeGreaterThan(0);
  });

  it('bulk-revokes by id with progress on stderr and a result on stdout', async () => {
    for (const id of ['mc-cli-b1', 'mc-cli-b2'])
      expect((await runCertctl([...createArgs(id), '--wait'], env)).code).toBe(0);
    const result = await runCertctl(
      ['certs', 'bulk-revoke', '--id', 'mc-cli-b1', '--id', 'mc-cli-b2', '--reason', 'superseded', '-o', 'json'],
      env,
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('revoking');
    expect(JSON.parse(result.stdout)).toMatchObject({
      kind: 'revoke',
      status: 'completed',
      total: 2,
      counts: { succeeded: 2, failed: 0 },
    });
    expect((await runCertctl(['certs', 'bulk-revoke'], env)).code).toBe(EXIT.usage);
  });

  it('lists and reads the other resources', async () => {
    for (const args of [
      ['issuers', 'list'],
      ['issuers', 'test', 'iss-local'],
      ['agents', 'list'],
      ['discovery', 'list'],
      ['notifications', 'list'],
      ['jobs', 'list', '--status', 'succeeded', '--limit', '1'],
      ['status'],
      ['version'],
    ]) {
      const run = await runCertctl(['-o', 'json', ...args], env);
      expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(0);
      expect(() => JSON.parse(run.stdout)).not.toThrow();
    }
    const issuers = JSON.parse((await runCertctl(['-o', 'json', 'issuers', 'list'], env)).stdout);
    expect(issuers.map((i: { id: string }) => i.id)).toContain('iss-local');
    const jobs = JSON.parse((await runCertctl(['-o', 'json', 'jobs', 'list', '--limit', '1'], env)).stdout);
    expect(jobs).toHaveLength(1);
  });

  it('prints tables that fit the terminal, without colour off a TTY', async () => {
    const narrow = await runCertctl(['certs', 'list'], env, { columns: 60 });
    expect(narrow.code).toBe(0);
    const lines = narrow.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^\u001b\[1mID +NAME/);
    expect(lines.length).toBeGreaterThan(1);
    for (const line of lines) expect(line.replace(/\u001b\[[0-9;]*m/g, '').length).toBeLessThanOrEqual(60);
    expect(narrow.stdout).toContain('\u001b[1m');
    const piped = await runCertctl(['certs', 'list'], env);
    expect(piped.stdout).not.toContain('\u001b[');
    expect(piped.stdout).toContain('mc-cli-web.example.com');
  });

  it('reads the server, key and CA bundle from the config file', async () => {
    const file = join(tmp, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({ server_url: env.CERTCTL_SERVER_URL, api_key: KEYS.viewer, ca_bundle: env.CERTCTL_CA_BUNDLE }),
    );
    const run = await runCertctl(['-o', 'json', 'certs', 'get', 'mc-cli-web'], { CERTCTL_CONFIG: file });
    expect(run.code).toBe(0);
    // The viewer key from the file is the one used: it may read but not write.
    const refused = await runCertctl(['certs', 'renew', 'mc-cli-web'], { CERTCTL_CONFIG: file });
    expect(refused.code).toBe(EXIT.refused);
    expect(refused.stderr).toContain('403 forbidden');
  });

  it('exits 4 on a 4xx with the server message and request id, 2 on usage errors', async () => {
    const missing = await runCertctl(['certs', 'get', 'no-such-cert'], env);
    expect(missing.code).toBe(EXIT.refused);
    expect(missing.stderr).toMatch(/404 not_found: .* \(request \S+\)/);
    const invalid = await runCertctl([...createArgs('mc-cli-bad'), '--renewal-policy', 'no-such-policy'], env);
    expect(invalid.code).toBe(EXIT.refused);
    expect((await runCertctl(['certs', 'frobnicate'], env)).code).toBe(EXIT.usage);
    expect((await runCertctl(['certs', 'create', '--name', 'x'], env)).code).toBe(EXIT.usage);
    expect((await runCertctl(['-o', 'xml', 'certs', 'list'], env)).code).toBe(EXIT.usage);
    const unconfigured = await runCertctl(['certs', 'list'], { XDG_CONFIG_HOME: tmp });
    expect(unconfigured.code).toBe(EXIT.usage);
    expect(unconfigured.stderr).toContain('CERTCTL_SERVER_URL');
  });

  it('fetches CA certificates and enrols over EST (HTTP Basic) with a key made locally', async () => {
    const cacerts = await runCertctl(['est', 'cacerts', '--label', 'corp'], env);
    expect(cacerts.code, cacerts.stderr).toBe(0);
    expect(cacerts.stdout).toContain('BEGIN CERTIFICATE');
    const key = join(tmp, 'device.key');
    const cert = join(tmp, 'device.pem');
    const enrolled = await runCertctl(
      [
        'est',
        'enroll',
        '--label',
        'corp',
        '--password',
        EST_PASSWORD,
        '--cn',
        'device1.example.com',
        '--key-out',
        key,
        '--cert-out',
        cert,
      ],
      env,
    );
    expect(enrolled.code, enrolled.stderr).toBe(0);
    const issued = parseCertificate(readFileSync(cert, 'utf8'));
    expect(issued.subjectCommonName).toBe('device1.example.com');
    expect(readFileSync(key, 'utf8')).toContain('PRIVATE KEY');
    const wrong = await runCertctl(
      [
        'est',
        'enroll',
        '--label',
        'corp',
        '--password',
        'wrong',
        '--cn',
        'x.example.com',
        '--key-out',
        key,
        '--cert-out',
        join(tmp, 'x.pem'),
      ],
      env,
    );
    expect(wrong.code).toBe(EXIT.refused);
  });
  const json = (run: { stdout: string }) => JSON.parse(run.stdout);
  const as = (key: string) => ({ ...env, CERTCTL_API_KEY: key });
  const jobStatus = async (id: string) => json(await runCertctl(['-o', 'json', 'jobs', 'get', id], env)).status;

  it('exports PKCS#12 that openssl opens with the password: leaf and chain, AES-256, no key, mode 0600', async () => {
    expect((await runCertctl([...createArgs('mc-cli-p12'), '--wait'], env)).code).toBe(0);
    const out = join(tmp, 'web.p12');
    const exported = await runCertctl(
      ['certs', 'export', 'mc-cli-p12', '--format', 'pkcs12', '--password', 'p12-secret', '--out', out],
      env,
    );
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stderr).toContain(`wrote ${out}`);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const openssl = (...args: string[]) =>
      execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const certs = openssl('pkcs12', '-in', out, '-passin', 'pass:p12-secret', '-nokeys');
    expect(certs.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(certs).toMatch(/subject=CN ?= ?mc-cli-p12\.example\.com/);
    expect(certs).not.toContain('PRIVATE KEY');
    // -info writes the encryption parameters to stderr.
    const info = spawnSync('openssl', ['pkcs12', '-in', out, '-passin', 'pass:p12-secret', '-info', '-noout'], {
      encoding: 'utf8',
    });
    expect(info.status, info.stderr).toBe(0);
    expect(info.stderr).toContain('AES-256-CBC');
    expect(() => openssl('pkcs12', '-in', out, '-passin', 'pass:wrong-password', '-nokeys')).toThrow();
    // The password may come from the environment instead of the command line.
    const fromEnv = await runCertctl(['certs', 'export', 'mc-cli-p12', '--format', 'pkcs12', '--out', out], {
      ...env,
      CERTCTL_PKCS12_PASSWORD: 'env-p12-secret',
    });
    expect(fromEnv.code, fromEnv.stderr).toBe(0);
    expect(openssl('pkcs12', '-in', out, '-passin', 'pass:env-p12-secret', '-nokeys')).toContain('BEGIN CERTIFICATE');
    const noPassword = await runCertctl(['certs', 'export', 'mc-cli-p12', '--format', 'pkcs12', '--out', out], env);
    expect(noPassword.code).toBe(EXIT.usage);
    expect(noPassword.stderr).toContain('CERTCTL_PKCS12_PASSWORD');
  });

  it('approves, rejects and cancels jobs parked for approval; the requester cannot approve its own', async () => {
    const profile = await call(server.api, 'POST', '/api/v1/profiles', {
      name: `cli-approval-${ctx.dialect}`,
      requires_approval: true,
    });
    const parked: Record<string, string> = {};
    for (const name of ['approve', 'reject', 'cancel']) {
      const run = await runCertctl(
        ['-o', 'json', ...createArgs(`mc-cli-${name}`), '--profile', String(profile.json.id), '--issue-now'],
        env,
      );
      expect(run.code, run.stderr).toBe(0);
      expect(json(run).job).toMatchObject({ status: 'awaiting_approval' });
      parked[name] = json(run).job.id;
    }
    const waiting = await runCertctl(['-o', 'json', 'jobs', 'list', '--status', 'awaiting_approval'], env);
    expect(json(waiting).map((j: { id: string }) => j.id)).toEqual(expect.arrayContaining(Object.values(parked)));

    const own = await runCertctl(['jobs', 'approve', parked.approve!], env);
    expect(own.code).toBe(EXIT.refused);
    expect(own.stderr).toContain('403 forbidden: two-person integrity');
    const approved = await runCertctl(
      ['-o', 'json', 'jobs', 'approve', parked.approve!, '--note', 'change 42'],
      as(KEYS.alice),
    );
    expect(approved.code, approved.stderr).toBe(0);
    expect(json(approved)).toMatchObject({ state: 'approved', decided_by: 'alice', job_id: parked.approve });
    await vi.waitFor(async () => expect(await jobStatus(parked.approve!)).toBe('succeeded'), {
      timeout: 20_000,
      interval: 200,
    });
    expect(json(await runCertctl(['-o', 'json', 'certs', 'get', 'mc-cli-approve'], env)).status).toBe('active');

    const rejected = await runCertctl(
      ['-o', 'json', 'jobs', 'reject', parked.reject!, '--note', 'not needed'],
      as(KEYS.bob),
    );
    expect(rejected.code, rejected.stderr).toBe(0);
    expect(json(rejected)).toMatchObject({ state: 'rejected', decided_by: 'bob' });
    expect(await jobStatus(parked.reject!)).not.toBe('awaiting_approval');

    const cancelled = await runCertctl(['-o', 'json', 'jobs', 'cancel', parked.cancel!], env);
    expect(cancelled.code, cancelled.stderr).toBe(0);
    expect(json(cancelled)).toMatchObject({ id: parked.cancel, status: 'cancelled' });
    // Finished jobs cannot be cancelled or decided again; unknown ones are a 404.
    expect((await runCertctl(['jobs', 'cancel', parked.approve!], env)).code).toBe(EXIT.refused);
    expect((await runCertctl(['jobs', 'approve', parked.reject!], as(KEYS.alice))).code).toBe(EXIT.refused);
    const missing = await runCertctl(['jobs', 'cancel', 'job-missing'], env);
    expect(missing.code).toBe(EXIT.refused);
    expect(missing.stderr).toMatch(/404 not_found/);
  });

  it('claims and dismisses what an agent discovered, then retires the agent (with --force when something depends on it)', async () => {
    const register = async (name: string) => {
      const r = await call(server.api, 'POST', '/api/v1/agents', { name: `${name}-${ctx.dialect}` }, BOOTSTRAP);
      expect(r.status, r.body).toBe(201);
      return { id: String(r.json.id), key: String(r.json.api_key) };
    };
    const agent = await register('cli-host');
    const found = [];
    for (const cn of ['found-one.example.com', 'found-two.example.com'])
      found.push((await createCertificateAuthority({ subject: { CN: cn } })).certificate.pem);
    const reported = await call(
      server.api,
      'POST',
      `/api/v1/agents/${agent.id}/discoveries`,
      {
        directories: ['/etc/ssl'],
        certificates: found.map((pem, i) => ({ path: `/etc/ssl/found-${i}.pem`, certificate_pem: pem })),
        scan_duration_ms: 5,
      },
      agent.key,
    );
    expect(reported.json).toMatchObject({ created: 2 });
    const listed = json(await runCertctl(['-o', 'json', 'discovery', 'list', '--agent', agent.id], env));
    const byName = (cn: string) => listed.find((d: { common_name: string }) => d.common_name === cn).id as string;

    const claimed = await runCertctl(
      ['-o', 'json', 'discovery', 'claim', byName('found-one.example.com'), '--certificate', 'mc-cli-web'],
      env,
    );
    expect(claimed.code, claimed.stderr).toBe(0);
    expect(json(claimed)).toMatchObject({ status: 'managed', managed_certificate_id: 'mc-cli-web' });
    const dismissed = await runCertctl(
      ['-o', 'json', 'discovery', 'dismiss', byName('found-two.example.com'), '--reason', 'test box'],
      env,
    );
    expect(dismissed.code, dismissed.stderr).toBe(0);
    expect(json(dismissed)).toMatchObject({ status: 'dismissed', dismiss_reason: 'test box' });
    expect((await runCertctl(['discovery', 'claim', byName('found-two.example.com')], env)).code).toBe(EXIT.usage);
    const unmanaged = json(
      await runCertctl(['-o', 'json', 'discovery', 'list', '--agent', agent.id, '--status', 'unmanaged'], env),
    );
    expect(unmanaged).toEqual([]);

    const retired = await runCertctl(['-o', 'json', 'agents', 'retire', agent.id], env);
    expect(retired.code, retired.stderr).toBe(0);
    expect(retired.stdout).toBe('');
    expect(retired.stderr).toContain(`retired agent ${agent.id}`);
    const active = json(await runCertctl(['-o', 'json', 'agents', 'list'], env));
    expect(active.map((a: { id: string }) => a.id)).not.toContain(agent.id);
    const all = json(await runCertctl(['-o', 'json', 'agents', 'list', '--include-retired', 'true'], env));
    expect(all.find((a: { id: string }) => a.id === agent.id)).toMatchObject({ status: 'retired' });
    // Its key stops working.
    expect(
      (await call(server.api, 'GET', `/api/v1/agents/${agent.id}/work`, undefined, agent.key)).status,
    ).toBeGreaterThanOrEqual(401);

    // An agent that still holds a certificate is retired only with --force and a reason.
    const busy = await register('cli-busy');
    const held = await runCertctl(
      [
        ...createArgs('mc-cli-held').filter((a, i, all) => a !== '--key-out' && all[i - 1] !== '--key-out'),
        '--agent',
        busy.id,
      ],
      env,
    );
    expect(held.code, held.stderr).toBe(0);
    const refused = await runCertctl(['agents', 'retire', busy.id], env);
    expect(refused.code).toBe(EXIT.refused);
    expect(refused.stderr).toContain('409');
    expect(refused.stderr).toContain('1 certificate(s)');
    expect((await runCertctl(['agents', 'retire', busy.id, '--force'], env)).code).toBe(EXIT.usage);
    const forced = await runCertctl(['agents', 'retire', busy.id, '--force', '--reason', 'host decommissioned'], env);
    expect(forced.code, forced.stderr).toBe(0);
    const audit = json(await runCertctl(['-o', 'json', 'audit', 'list', '--resource-id', busy.id], env));
    expect(JSON.stringify(audit)).toContain('host decommissioned');
  });

  it('requeues a dead notification', async () => {
    const notifier = await call(server.api, 'POST', '/api/v1/notifiers', {
      name: `cli-hook-${ctx.dialect}`,
      type: 'webhook',
      config: { url: 'http://127.0.0.1:9/certctl' },
    });
    expect(notifier.status, notifier.body).toBe(201);
    const id = `nt-cli-dead-${ctx.dialect}`;
    await server.deps.db
      .insertInto('notificationOutbox')
      .values({
        id,
        dedupKey: `${id}|${notifier.json.id}`,
        event: 'expiring',
        severity: 'warning',
        channel: 'webhook',
        notifierId: String(notifier.json.id),
        certificateId: 'mc-cli-web',
        versionId: null,
        thresholdDays: 14,
        payload: JSON.stringify({ event: 'expiring', severity: 'warning', subject: 'expiring', text: 'expiring' }),
        status: 'dead',
        attempts: 3,
        maxAttempts: 3,
        nextAttemptAt: new Date(),
        leaseOwner: null,
        leaseExpiresAt: null,
        lastError: 'gave up after 3 attempt(s)',
        providerId: null,
        sentAt: null,
        readAt: null,
        readBy: null,
      })
      .execute();
    const dead = json(await runCertctl(['-o', 'json', 'notifications', 'list', '--status', 'dead'], env));
    expect(dead.map((n: { id: string }) => n.id)).toContain(id);
    expect((await runCertctl(['notifications', 'requeue', id], as(KEYS.viewer))).code).toBe(EXIT.refused);
    const requeued = await runCertctl(['-o', 'json', 'notifications', 'requeue', id], env);
    expect(requeued.code, requeued.stderr).toBe(0);
    expect(json(requeued)).toMatchObject({ id, status: 'pending', attempts: 0 });
    expect((await runCertctl(['notifications', 'requeue', 'nt-missing'], env)).code).toBe(EXIT.refused);
  });

  it('imports what a CA already issued: a dry run changes nothing, the import adds each once', async () => {
    const issuer = await call(server.api, 'POST', '/api/v1/issuers', {
      name: `cli-listing-${ctx.dialect}`,
      type: 'test-ca',
      config: { label: 'listing' },
    });
    expect(issuer.status, issuer.body).toBe(201);
    const issuerId = String(issuer.json.id);
    const { certificate, keys } = await listingCa.authority();
    for (const cn of ['legacy-a.example.com', 'legacy-b.example.com']) {
      const leafKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
      const leaf = await signCertificate({
        subject: { CN: cn },
        publicKey: leafKeys.publicKey,
        issuer: { certificate: certificate.pem, privateKey: keys.privateKey },
        sans: [{ type: 'dns', value: cn }],
        validitySeconds: 30 * 86_400,
      });
      listingCa.control.existing.push({
        certificatePem: leaf.pem,
        chainPem: [certificate.pem],
        orderId: `order-${cn}`,
        metadata: {},
      });
    }
    const count = async () => json(await runCertctl(['-o', 'json', 'certs', 'list', '--issuer', issuerId], env)).length;
    const dry = await runCertctl(['-o', 'json', 'issuers', 'import', issuerId, '--dry-run'], env);
    expect(dry.code, dry.stderr).toBe(0);
    expect(json(dry)).toMatchObject({ dry_run: true, scanned: 2 });
    expect(json(dry).imported).toHaveLength(2);
    expect(await count()).toBe(0);

    const missingOwner = await runCertctl(['issuers', 'import', issuerId], env);
    expect(missingOwner.code).toBe(EXIT.refused);
    const ownership = ['--owner', ids.owner, '--team', ids.team, '--renewal-policy', ids.policy];
    const imported = await runCertctl(
      ['-o', 'json', 'issuers', 'import', issuerId, ...ownership, '--domain', 'legacy-a.example.com'],
      env,
    );
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stderr).toContain(`importing from ${issuerId}`);
    expect(json(imported)).toMatchObject({ dry_run: false, imported: [{ common_name: 'legacy-a.example.com' }] });
    expect(await count()).toBe(1);
    const rest = json(await runCertctl(['-o', 'json', 'issuers', 'import', issuerId, ...ownership], env));
    expect(rest.imported.map((c: { common_name: string }) => c.common_name)).toEqual(['legacy-b.example.com']);
    expect(rest.skipped).toMatchObject([{ reason: 'already_managed' }]);
    expect(await count()).toBe(2);
  });

  it('re-enrols over EST with the current certificate as the TLS client certificate', async () => {
    const key = join(tmp, 'device.key');
    const cert = join(tmp, 'device.pem');
    const renewed = join(tmp, 'device-renewed.pem');
    const before = parseCertificate(readFileSync(cert, 'utf8'));
    const run = await runCertctl(
      ['-o', 'json', 'est', 'reenroll', '--label', 'corp', '--cert', cert, '--key', key, '--cert-out', renewed],
      env,
    );
    expect(run.code, run.stderr).toBe(0);
    const after = parseCertificate(readFileSync(renewed, 'utf8'));
    expect(after.subjectCommonName).toBe('device1.example.com');
    expect(after.serialNumber).not.toBe(before.serialNumber);
    expect(after.spki).toEqual(before.spki);
    expect(json(run)).toMatchObject({ file: renewed, serial: after.serialNumber });
    const chain = join(tmp, 'local-ca.pem');
    writeFileSync(chain, readFileSync(join(tmp, 'est-client-cas.pem')));
    expect(execFileSync('openssl', ['verify', '-CAfile', chain, renewed], { encoding: 'utf8' })).toContain('OK');

    // With a new key; the replaced certificate can no longer re-enrol.
    const newKey = join(tmp, 'device-new.key');
    const rekeyed = await runCertctl(
      [
        'est',
        'reenroll',
        '--label',
        'corp',
        '--cert',
        renewed,
        '--key',
        key,
        '--new-key',
        '--key-out',
        newKey,
        '--cert-out',
        join(tmp, 'device-rekeyed.pem'),
      ],
      env,
    );
    expect(rekeyed.code, rekeyed.stderr).toBe(0);
    expect(statSync(newKey).mode & 0o777).toBe(0o600);
    expect(parseCertificate(readFileSync(join(tmp, 'device-rekeyed.pem'), 'utf8')).spki).not.toEqual(before.spki);
    const stale = await runCertctl(
      ['est', 'reenroll', '--label', 'corp', '--cert', cert, '--key', key, '--cert-out', join(tmp, 'stale.pem')],
      env,
    );
    expect(stale.code).toBe(EXIT.refused);
    expect(stale.stderr).toContain('403');
  });
});

it('exits 5 when the server fails (5xx) or cannot be reached', async () => {
  const failing: Server = createServer((_request, response) => {
    response.writeHead(500, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ error: 'internal_error', message: 'boom', request_id: 'req-500' }));
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  const port = (failing.address() as { port: number }).port;
  try {
    const failed = await runCertctl(['certs', 'list'], {
      CERTCTL_SERVER_URL: `http://127.0.0.1:${port}`,
      CERTCTL_API_KEY: 'k',
    });
    expect(failed.code).toBe(EXIT.unavailable);
    expect(failed.stderr).toContain('500 internal_error: boom (request req-500)');
  } finally {
    await new Promise((resolve) => failing.close(resolve));
  }
  const unreachable = await runCertctl(['certs', 'list'], {
    CERTCTL_SERVER_URL: `http://127.0.0.1:${port}`,
    CERTCTL_API_KEY: 'k',
  });
  expect(unreachable.code).toBe(EXIT.unavailable);
  expect(unreachable.stderr).toContain('cannot reach the server');
});

it('prints completion scripts for bash, zsh and fish from the command tree', async () => {
  const bash = await runCertctl(['completion', 'bash'], {});
  expect(bash.code).toBe(0);
  expect(bash.stdout).toContain('complete -F _certctl certctl');
  expect(bash.stdout).toMatch(/certs\) COMPREPLY=\(\$\(compgen -W "list get create renew revoke bulk-revoke export"/);
  const zsh = await runCertctl(['completion', 'zsh'], {});
  expect(zsh.stdout).toContain('#compdef certctl');
  expect(zsh.stdout).toContain("'cacerts' 'enroll' 'reenroll'");
  const fish = await runCertctl(['completion', 'fish'], {});
  expect(fish.stdout).toContain(
    'complete -c certctl -f -n "__fish_seen_subcommand_from jobs" -a "list get approve reject cancel"',
  );
  expect((await runCertctl(['completion', 'tcsh'], {})).code).toBe(EXIT.usage);
});

it('shows help with examples on every command', async () => {
  const top = await runCertctl(['--help'], {});
  expect(top.code).toBe(0);
  expect(top.stdout).toContain('Exit codes:');
  const groups = ['certs', 'issuers', 'agents', 'jobs', 'discovery', 'notifications', 'audit', 'est'];
  for (const group of groups) {
    const help = await runCertctl([group, '--help'], {});
    const subs = [...help.stdout.matchAll(/^ {2}([a-z-]+)(?: \[options\]| <)/gm)]
      .map((m) => m[1]!)
      .filter((s) => s !== 'help');
    expect(subs.length, group).toBeGreaterThan(0);
    for (const sub of subs) {
      const leaf = await runCertctl([group, sub, '--help'], {});
      expect(leaf.code, `${group} ${sub}`).toBe(0);
      expect(leaf.stdout, `${group} ${sub}`).toContain('Examples:');
    }
  }
  for (const leaf of ['status', 'version', 'completion'])
    expect((await runCertctl([leaf, '--help'], {})).stdout).toContain('Examples:');
});
