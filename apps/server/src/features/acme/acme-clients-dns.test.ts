import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DialectContext } from '../../testing/each-dialect.js';
import { type AcmeHarness, explain, run, startAcmeHarness } from './test-support/acme-client-harness.js';
import { type BindServer, startBind } from './test-support/bind-server.js';

/**
 * DNS-01 end to end: lego publishes the TXT record in a real authoritative BIND on loopback (through
 * its exec provider and nsupdate), and the ACME server checks it through the configured resolver.
 */
describe('ACME DNS-01 against a local authoritative BIND', () => {
  let acme: AcmeHarness;
  let bind: BindServer;
  const ctx = { dialect: 'pglite' } as DialectContext;
  beforeAll(async () => {
    bind = await startBind('dns.test');
    ctx.pglite = await PGlite.create('memory://');
    acme = await startAcmeHarness(ctx, {
      env: { CERTCTL_ACME_SERVER_DNS_RESOLVER: `127.0.0.1:${bind.port}` },
      profiles: [{ id: 'dns', name: 'dns', description: 'DNS-validated', acme_auth_mode: 'challenge' }],
    });
  }, 120_000);
  afterAll(async () => {
    await acme?.stop();
    await ctx.pglite?.close();
    await bind?.stop();
  });

  it('lego obtains a wildcard certificate with DNS-01', async () => {
    const dir = acme.newDir('lego-dns');
    const hook = join(dir, 'nsupdate-hook.sh');
    // lego's exec provider calls: <script> present|cleanup <fqdn> <value>
    writeFileSync(
      hook,
      `#!/bin/sh
set -e
case "$1" in present) op=add;; cleanup) op=delete;; *) exit 0;; esac
printf 'server 127.0.0.1 ${bind.port}\\nupdate %s %s 60 TXT "%s"\\nsend\\n' "$op" "$2" "$3" | nsupdate
`,
    );
    chmodSync(hook, 0o755);
    const result = await run(
      'lego',
      [
        '--server',
        acme.directory('dns'),
        '--accept-tos',
        '--email',
        'ops@dns.test',
        '--path',
        dir,
        '--domains',
        'dns.test',
        '--domains',
        '*.dns.test',
        '--dns',
        'exec',
        '--dns.resolvers',
        `127.0.0.1:${bind.port}`,
        '--dns.disable-cp',
        'run',
      ],
      {
        env: {
          LEGO_CA_CERTIFICATES: acme.caFile,
          EXEC_PATH: hook,
          EXEC_PROPAGATION_TIMEOUT: '20',
          EXEC_POLLING_INTERVAL: '1',
          EXEC_SEQUENCE_INTERVAL: '1',
        },
        cwd: dir,
        timeoutMs: 90_000,
      },
    );
    expect(result.code, explain(result)).toBe(0);
    const certFile = join(dir, 'certificates', 'dns.test.crt');
    expect((await acme.opensslVerify(certFile, certFile)).stdout).toContain(': OK');
    expect((await run('openssl', ['x509', '-in', certFile, '-noout', '-ext', 'subjectAltName'])).stdout).toContain(
      'DNS:*.dns.test',
    );
    const events = await acme.server.deps.db
      .selectFrom('auditEvents')
      .select('details')
      .where('action', '=', 'acme_challenge_valid')
      .execute();
    expect(events.map((e) => (e.details as { type: string }).type)).toEqual(['dns-01', 'dns-01']);
  }, 120_000);
});
