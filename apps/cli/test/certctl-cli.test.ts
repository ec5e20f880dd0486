import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCertificate } from '@certctl/pki';
import { call, describeEachDialect, KEYS, startTestServer, type TestServer } from '@certctl/server/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { EXIT } from '../src/exit-codes.js';
import { runCertctl } from './cli-support.js';

const EST_PASSWORD = 'est-enrollment-secret-0123';

describeEachDialect('certctl against a real server', (ctx) => {
  let server: TestServer;
  let tmp: string;
  let env: Record<string, string>;
  let ids: { team: string; owner: string; policy: string };
  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      listen: true,
      scheduler: true,
      installed: true,
      env: {
        CERTCTL_EST_PROFILES: 'corp',
        CERTCTL_EST_PROFILE_CORP_ISSUER_ID: 'iss-local',
        CERTCTL_EST_PROFILE_CORP_ALLOWED_AUTH_MODES: 'basic',
        CERTCTL_EST_PROFILE_CORP_ENROLLMENT_PASSWORD: EST_PASSWORD,
      },
    });
    tmp = mkdtempSync(join(tmpdir(), 'certctl-cli-test-'));
    writeFileSync(join(tmp, 'server-ca.pem'), server.tls.caPem!);
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
