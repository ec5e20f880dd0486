import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectContext } from '../../testing/each-dialect.js';
import { type AcmeHarness, freePort, run } from './test-support/acme-client-harness.js';
import { startAcmeHarness } from './test-support/acme-client-harness.js';

const MODULES = '/usr/lib/apache2/modules';

async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

/**
 * Apache's mod_md (the packaged client that speaks ARI and ACME profiles) against the ACME server:
 * it orders with `MDProfile`, and after a graceful restart reads the renewal window through ARI.
 */
describe('Apache mod_md against the ACME server', () => {
  let acme: AcmeHarness;
  let apache: ChildProcess | undefined;
  const ctx = { dialect: 'pglite' } as DialectContext;
  beforeAll(async () => {
    ctx.pglite = await PGlite.create('memory://');
    acme = await startAcmeHarness(ctx, {
      env: { CERTCTL_ACME_SERVER_DEFAULT_PROFILE_ID: 'internal' },
      profiles: [
        { id: 'internal', name: 'internal', description: 'Internal services' },
        { id: 'servers', name: 'servers', description: 'Web servers', allowed_ekus: ['serverAuth'] },
      ],
    });
  }, 120_000);
  afterAll(async () => {
    if (apache && apache.exitCode === null) {
      const exited = new Promise((r) => apache!.once('exit', r));
      apache.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (apache.exitCode === null) apache.kill('SIGKILL');
    }
    await acme?.stop();
    await ctx.pglite?.close();
  });

  it('obtains a certificate for an MDomain with MDProfile and reads its ARI window', async () => {
    const dir = acme.newDir('apache');
    // Apache drops to www-data after start; its store and logs must be reachable by that user.
    chmodSync(acme.work, 0o755);
    chmodSync(dir, 0o777);
    const port = await freePort();
    const log = join(dir, 'error.log');
    writeFileSync(
      join(dir, 'httpd.conf'),
      `ServerRoot "${dir}"
DefaultRuntimeDir "${dir}"
PidFile "${dir}/httpd.pid"
Mutex file:${dir} default
ErrorLog "${log}"
LogLevel warn md:debug
User www-data
Group www-data
Listen 127.0.0.1:${port}
LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule socache_shmcb_module ${MODULES}/mod_socache_shmcb.so
LoadModule ssl_module ${MODULES}/mod_ssl.so
LoadModule md_module ${MODULES}/mod_md.so
ServerName localhost
MDStoreDir "${dir}/md"
MDCertificateAuthority ${acme.server.urls.api}/acme/directory
MDCACertificateFile "${acme.caFile}"
MDCertificateAgreement accepted
MDContactEmail ops@example.test
MDCAChallenges http-01
MDProfile servers
MDRenewViaARI on
MDomain md.example.test
<VirtualHost 127.0.0.1:${port}>
  ServerName md.example.test
  SSLEngine on
</VirtualHost>
`,
    );
    const check = await run('/usr/sbin/apache2', ['-t', '-f', join(dir, 'httpd.conf')]);
    expect(check.code, check.stderr).toBe(0);
    apache = spawn('/usr/sbin/apache2', ['-f', join(dir, 'httpd.conf'), '-DFOREGROUND'], { stdio: 'ignore' });
    const logText = () => (existsSync(log) ? readFileSync(log, 'utf8') : '');
    const staged = await waitFor(() => /has been setup and changes will be activated/.test(logText()), 60_000);
    expect(staged, logText().slice(-4000)).toBe(true);

    const order = await acme.server.deps.db
      .selectFrom('acmeOrders')
      .select(['profileId', 'status', 'versionId'])
      .executeTakeFirstOrThrow();
    expect(order).toMatchObject({ profileId: 'servers', status: 'valid' });
    const staging = join(dir, 'md', 'staging', 'md.example.test', 'pubcert.pem');
    expect((await acme.opensslVerify(staging, staging)).stdout).toContain(': OK');

    // Graceful restart: the certificate goes live and mod_md's renewal check asks for ARI.
    apache.kill('SIGUSR1');
    const asked = await waitFor(() => /CA advises renew via ARI between/.test(logText()), 60_000);
    expect(asked, logText().slice(-4000)).toBe(true);
  }, 180_000);
});
