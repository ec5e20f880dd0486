import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, freeLoopbackPort, waitForServedSerial } from '@certctl/connector-testkit';
import type { DeployRequest } from '@certctl/core';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';

export interface ApacheServer {
  dir: string;
  port: number;
  certPath: string;
  chainPath: string;
  keyPath: string;
  validateCommand: string;
  reloadCommand: string;
  /** How many times the reload command ran. */
  reloads(): number;
  /** Makes the next reload command restart Apache gracefully and then exit 1. */
  failNextReload(): void;
  /** Breaks (or repairs) the config so `apache2 -t` fails. */
  breakConfig(broken: boolean): void;
  /** Waits until Apache has handled `count` graceful restarts in total. */
  waitForReloads(count: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real Apache httpd on 127.0.0.1 (random port), run directly with `-f` and a throwaway ServerRoot in a
 * temp dir (not the system instance), serving `initial` with SSLCertificateFile + SSLCertificateChainFile.
 */
export async function startApache(initial: DeployRequest): Promise<ApacheServer> {
  if (!existsSync(APACHE)) {
    throw new Error(`${APACHE} is missing: run "node tooling/services/ensure-test-services.mjs" (apt package apache2)`);
  }
  const temp = await createTempDir('certctl-apache-');
  const dir = temp.path;
  chmodSync(dir, 0o755);
  const port = await freeLoopbackPort();
  for (const sub of ['certs', 'logs', 'run']) mkdirSync(join(dir, sub));
  chmodSync(join(dir, 'certs'), 0o700);
  const certPath = join(dir, 'certs', 'site.crt');
  const chainPath = join(dir, 'certs', 'chain.pem');
  const keyPath = join(dir, 'certs', 'site.key');
  writeFileSync(certPath, initial.certPem, { mode: 0o644 });
  writeFileSync(chainPath, initial.chainPem, { mode: 0o644 });
  writeFileSync(keyPath, initial.keyPem, { mode: 0o600 });
  const conf = join(dir, 'httpd.conf');
  const errorLog = join(dir, 'logs', 'error.log');
  const asRoot = process.getuid?.() === 0;
  writeFileSync(
    conf,
    `ServerRoot "${dir}"
DefaultRuntimeDir "${join(dir, 'run')}"
PidFile "${join(dir, 'run', 'httpd.pid')}"
Mutex file:${join(dir, 'run')} default
ErrorLog "${errorLog}"
LogLevel notice
LoadModule mpm_event_module ${MODULES}/mod_mpm_event.so
LoadModule authz_core_module ${MODULES}/mod_authz_core.so
LoadModule socache_shmcb_module ${MODULES}/mod_socache_shmcb.so
LoadModule ssl_module ${MODULES}/mod_ssl.so
${asRoot ? 'User nobody\nGroup nogroup\n' : ''}ServerName site.example.test
Listen 127.0.0.1:${port}
StartServers 1
SSLSessionCache "shmcb:${join(dir, 'run', 'ssl_scache')}(51200)"
<VirtualHost 127.0.0.1:${port}>
  ServerName site.example.test
  SSLEngine on
  SSLCertificateFile "${certPath}"
  SSLCertificateChainFile "${chainPath}"
  SSLCertificateKeyFile "${keyPath}"
</VirtualHost>
Include "${join(dir, 'extra.conf')}"
`,
  );
  writeFileSync(join(dir, 'extra.conf'), '');
  const base = ['-d', dir, '-f', conf];
  const reloadScript = join(dir, 'reload.sh');
  writeFileSync(
    reloadScript,
    `#!/bin/sh
echo reload >> "${join(dir, 'reloads.log')}"
${APACHE} ${base.join(' ')} -k graceful || exit $?
if [ -e "${join(dir, 'fail-reload')}" ]; then rm -f "${join(dir, 'fail-reload')}"; echo "graceful restart failed (armed by the test)" >&2; exit 1; fi
`,
  );
  chmodSync(reloadScript, 0o755);
  execFileSync(APACHE, [...base, '-k', 'start'], { stdio: 'pipe' });
  await waitForServedSerial({ port, serial: initial.serial, timeoutMs: 15_000 });

  const restarts = () => (existsSync(errorLog) ? (readFileSync(errorLog, 'utf8').match(/AH00493/g) ?? []).length : 0);
  return {
    dir,
    port,
    certPath,
    chainPath,
    keyPath,
    validateCommand: `${APACHE} -t ${base.join(' ')}`,
    reloadCommand: reloadScript,
    reloads: () =>
      existsSync(join(dir, 'reloads.log')) ? readFileSync(join(dir, 'reloads.log'), 'utf8').split('\n').length - 1 : 0,
    failNextReload: () => writeFileSync(join(dir, 'fail-reload'), ''),
    breakConfig: (broken) => writeFileSync(join(dir, 'extra.conf'), broken ? 'ThisIsNotADirective on\n' : ''),
    async waitForReloads(count) {
      const deadline = Date.now() + 10_000;
      while (restarts() < count) {
        if (Date.now() > deadline) throw new Error(`Apache handled ${restarts()} graceful restarts, expected ${count}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      const pidFile = join(dir, 'run', 'httpd.pid');
      const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
      try {
        execFileSync(APACHE, [...base, '-k', 'stop'], { stdio: 'pipe' });
      } catch {
        if (pid > 0) process.kill(pid, 'SIGKILL');
      }
      // -k stop only signals; wait for the parent to go so the temp dir is not pulled from under it.
      const deadline = Date.now() + 5_000;
      while (pid > 0 && Date.now() < deadline) {
        try {
          process.kill(pid, 0);
          await new Promise((r) => setTimeout(r, 50));
        } catch {
          break;
        }
      }
      await temp.remove();
    },
  };
}
