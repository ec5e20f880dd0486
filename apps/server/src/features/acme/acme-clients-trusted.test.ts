import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import type { DialectContext } from '../../testing/each-dialect.js';
import { PGlite } from '@electric-sql/pglite';
import {
  type AcmeHarness,
  explain,
  freePort,
  run,
  serialOf,
  startAcmeHarness,
} from './test-support/acme-client-harness.js';

/**
 * certbot, lego and uacme (Debian packages) against the ACME server in trust_authenticated mode:
 * obtain, renew, revoke. The certificates land in the inventory and openssl verifies them.
 */
/** An external account binding key, as an operator would hand it out. */
const EAB = { kid: 'team-ops', hmac: 'c2VjcmV0LWhtYWMta2V5LWZvci1hY21lLWVhYi10ZXN0cw' };

describe('ACME clients nobody here wrote, trust_authenticated', () => {
  let acme: AcmeHarness;
  const ctx = { dialect: 'pglite' } as DialectContext;
  beforeAll(async () => {
    ctx.pglite = await PGlite.create('memory://');
    acme = await startAcmeHarness(ctx, {
      env: {
        CERTCTL_ACME_SERVER_DEFAULT_PROFILE_ID: 'internal',
        CERTCTL_ACME_SERVER_EAB_REQUIRED: 'true',
        CERTCTL_ACME_SERVER_EAB_KEYS: `${EAB.kid}:${EAB.hmac}`,
      },
      profiles: [{ id: 'internal', name: 'internal', description: 'Internal services', allowed_ekus: ['serverAuth'] }],
    });
  }, 60_000);
  afterAll(async () => {
    await acme?.stop();
    await ctx.pglite?.close();
  });

  const certbotLog = (dir: string) => {
    const file = join(dir, 'logs', 'letsencrypt.log');
    return existsSync(file) ? readFileSync(file, 'utf8').slice(-6000) : '(no log)';
  };

  async function managedStatus(commonName: string): Promise<string[]> {
    const list = await call(acme.server.api, 'GET', '/api/v1/certificates?per_page=100');
    return list.json.data!.filter((c) => c.common_name === commonName).map((c) => String(c.status));
  }

  it('requires external account binding: a client without it gets externalAccountRequired', async () => {
    const dir = acme.newDir('certbot-no-eab');
    const refused = await run(
      'certbot',
      [
        'register',
        '--config-dir',
        join(dir, 'c'),
        '--work-dir',
        join(dir, 'w'),
        '--logs-dir',
        join(dir, 'l'),
        '--non-interactive',
        '--server',
        `${acme.server.urls.api}/acme/directory`,
        '--agree-tos',
        '--register-unsafely-without-email',
      ],
      { env: { REQUESTS_CA_BUNDLE: acme.caFile }, cwd: dir },
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr + refused.stdout).toMatch(/external account/i);
    const wrongKey = await run(
      'lego',
      [
        '--server',
        acme.directory('internal'),
        '--accept-tos',
        '--eab',
        '--kid',
        EAB.kid,
        '--hmac',
        'd3JvbmctaG1hYy1rZXktZm9yLWFjbWUtZWFiLXRlc3Rz',
        '--email',
        'x@example.test',
        '--path',
        dir,
        '--domains',
        'x.example.test',
        '--http',
        'run',
      ],
      { env: { LEGO_CA_CERTIFICATES: acme.caFile }, cwd: dir },
    );
    expect(wrongKey.code).not.toBe(0);
    expect(wrongKey.stderr).toContain('urn:ietf:params:acme:error:unauthorized');
    expect(await acme.server.deps.db.selectFrom('acmeAccounts').select('id').execute()).toEqual([]);
  }, 60_000);

  it('certbot obtains, renews and revokes a certificate', async () => {
    const dir = acme.newDir('certbot');
    const webroot = acme.newDir('certbot-webroot');
    const common = [
      '--config-dir',
      join(dir, 'config'),
      '--work-dir',
      join(dir, 'work'),
      '--logs-dir',
      join(dir, 'logs'),
      '--non-interactive',
      '--server',
      `${acme.server.urls.api}/acme/directory`,
    ];
    const env = { REQUESTS_CA_BUNDLE: acme.caFile };
    const obtained = await run(
      'certbot',
      [
        'certonly',
        ...common,
        '--agree-tos',
        '--register-unsafely-without-email',
        '--eab-kid',
        EAB.kid,
        '--eab-hmac-key',
        EAB.hmac,
        '--webroot',
        '-w',
        webroot,
        '-d',
        'certbot.example.test',
        '-d',
        'www.certbot.example.test',
        '--cert-name',
        'certbot',
      ],
      { env, cwd: dir },
    );
    expect(obtained.code, `${explain(obtained)}\n--- log\n${certbotLog(dir)}`).toBe(0);
    const live = join(dir, 'config', 'live', 'certbot');
    expect((await acme.opensslVerify(join(live, 'cert.pem'), join(live, 'chain.pem'))).stdout).toContain(': OK');
    const first = await serialOf(join(live, 'cert.pem'));

    const renewed = await run(
      'certbot',
      ['renew', ...common, '--force-renewal', '--no-random-sleep-on-renew', '--cert-name', 'certbot'],
      { env, cwd: dir },
    );
    expect(renewed.code, `${explain(renewed)}\n--- log\n${certbotLog(dir)}`).toBe(0);
    const second = await serialOf(join(live, 'cert.pem'));
    expect(second).not.toBe(first);
    expect((await acme.opensslVerify(join(live, 'cert.pem'), join(live, 'chain.pem'))).stdout).toContain(': OK');
    // A renewal continues the same managed certificate.
    expect(await managedStatus('certbot.example.test')).toEqual(['active']);

    const revoked = await run(
      'certbot',
      [
        'revoke',
        ...common,
        '--cert-path',
        join(live, 'cert.pem'),
        '--reason',
        'keycompromise',
        '--no-delete-after-revoke',
      ],
      { env, cwd: dir },
    );
    expect(revoked.code, explain(revoked)).toBe(0);
    expect(await managedStatus('certbot.example.test')).toEqual(['revoked']);
    const rows = await acme.server.deps.db.selectFrom('revocations').select(['serial', 'reason']).execute();
    expect(rows).toContainEqual({ serial: second, reason: 'keyCompromise' });
  }, 120_000);

  it('lego obtains, renews and revokes a certificate', async () => {
    const dir = acme.newDir('lego');
    const port = await freePort();
    const common = [
      '--server',
      `${acme.server.urls.api}/acme/profile/internal/directory`,
      '--accept-tos',
      '--eab',
      '--kid',
      EAB.kid,
      '--hmac',
      EAB.hmac,
      '--email',
      'ops@example.test',
      '--domains',
      'lego.example.test',
      '--path',
      dir,
      '--http',
      '--http.port',
      `127.0.0.1:${port}`,
    ];
    const env = { LEGO_CA_CERTIFICATES: acme.caFile };
    const obtained = await run('lego', [...common, 'run'], { env, cwd: dir });
    expect(obtained.code, explain(obtained)).toBe(0);
    const certFile = join(dir, 'certificates', 'lego.example.test.crt');
    expect((await acme.opensslVerify(certFile, certFile)).stdout).toContain(': OK');
    const first = await serialOf(certFile);

    const renewed = await run('lego', [...common, 'renew', '--days', '9999', '--no-random-sleep'], { env, cwd: dir });
    expect(renewed.code, explain(renewed)).toBe(0);
    expect(await serialOf(certFile)).not.toBe(first);
    expect(await managedStatus('lego.example.test')).toEqual(['active']);

    const revoked = await run('lego', [...common, 'revoke'], { env, cwd: dir });
    expect(revoked.code, explain(revoked)).toBe(0);
    expect(await managedStatus('lego.example.test')).toEqual(['revoked']);
  }, 120_000);

  it('uacme creates an account, issues, renews and revokes a certificate', async () => {
    const dir = acme.newDir('uacme');
    const hook = join(dir, 'hook.sh');
    // Only called for pending authorizations, which trust_authenticated never has: fail loudly if it is.
    writeFileSync(hook, '#!/bin/sh\necho "hook called: $*" >> "$(dirname "$0")/hook.log"\nexit 1\n');
    chmodSync(hook, 0o755);
    // uacme's libcurl (GnuTLS) reads only the system bundle: give it ours in a private mount namespace.
    const bundle = join(dir, 'bundle.crt');
    writeFileSync(bundle, readFileSync(acme.caFile, 'utf8'));
    const uacme = (args: string[]) =>
      run(
        'unshare',
        [
          '-m',
          'sh',
          '-c',
          'mount --bind "$0" /etc/ssl/certs/ca-certificates.crt && exec uacme "$@"',
          bundle,
          '-a',
          `${acme.server.urls.api}/acme/directory`,
          '-c',
          join(dir, 'conf'),
          '-v',
          '-y',
          ...args,
        ],
        { cwd: dir },
      );
    const account = await uacme(['-e', `${EAB.kid}:${EAB.hmac}`, 'new', 'ops@example.test']);
    expect(account.code, explain(account)).toBe(0);
    const issued = await uacme(['-h', hook, 'issue', 'uacme.example.test', 'alt.uacme.example.test']);
    expect(issued.code, explain(issued)).toBe(0);
    expect(existsSync(join(dir, 'hook.log'))).toBe(false);
    const certFile = join(dir, 'conf', 'uacme.example.test', 'cert.pem');
    expect((await acme.opensslVerify(certFile, certFile)).stdout).toContain(': OK');
    const first = await serialOf(certFile);
    const renewed = await uacme(['-h', hook, '-f', 'issue', 'uacme.example.test', 'alt.uacme.example.test']);
    expect(renewed.code, explain(renewed)).toBe(0);
    expect(await serialOf(certFile)).not.toBe(first);
    expect(await managedStatus('uacme.example.test')).toEqual(['active']);
    const revoked = await uacme(['revoke', certFile]);
    expect(revoked.code, explain(revoked)).toBe(0);
    expect(await managedStatus('uacme.example.test')).toEqual(['revoked']);
  }, 120_000);
});
