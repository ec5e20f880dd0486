import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { CHALLENGE, opensslVerify, run, type ScepFixture, startScepServer } from './test-support/scep-fixture.js';

const SCRIPT = fileURLToPath(new URL('./test-support/certmonger-session.sh', import.meta.url));

describeEachDialect('SCEP with certmonger', (ctx) => {
  let fx: ScepFixture;
  beforeAll(async () => {
    for (const bin of ['/usr/sbin/certmonger', '/usr/bin/getcert', '/usr/bin/dbus-run-session']) {
      if (!existsSync(bin))
        throw new Error(
          `${bin} is missing: apt-get install -y certmonger dbus (tooling/services/ensure-test-services.mjs installs them)`,
        );
    }
    fx = await startScepServer(ctx);
  });
  afterAll(() => fx?.stop());

  it('getcert add-scep-ca + getcert request obtains a certificate that openssl verifies', async () => {
    writeFileSync(join(fx.dir, 'ra.pem'), fx.raCertPem);
    writeFileSync(join(fx.dir, 'ca.pem'), fx.caPem);
    const { stdout } = await run('dbus-run-session', ['--', 'sh', SCRIPT], {
      timeout: 45_000,
      env: {
        PATH: process.env.PATH,
        XDG_DATA_DIRS: join(fx.dir, 'no-services'),
        CM_DIR: fx.dir,
        SCEP_URL: fx.url,
        CM_CN: 'host.example.com',
        CM_CHALLENGE: CHALLENGE,
      },
    }).catch((error: { stdout: string; stderr: string }) => {
      const log = existsSync(join(fx.dir, 'certmonger.log'))
        ? readFileSync(join(fx.dir, 'certmonger.log'), 'utf8').slice(-3000)
        : '(no certmonger log)';
      throw new Error(`certmonger run failed: ${error.stdout}${error.stderr}\n${log}`);
    });
    expect(stdout, readFileSync(join(fx.dir, 'certmonger.log'), 'utf8').slice(-3000)).toMatch(/status: MONITORING/);
    expect(await opensslVerify(join(fx.dir, 'ca.pem'), join(fx.dir, 'host.crt'))).toContain('OK');
    const list = await call(fx.server.api, 'GET', '/api/v1/certificates?enrollment_source=scep');
    expect(list.json.data!.map((c) => c.common_name)).toContain('host.example.com');
  });
});
