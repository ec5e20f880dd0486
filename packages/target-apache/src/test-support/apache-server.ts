import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareRealServer, type RealTargetServer, waitForServedSerial } from '@certctl/connector-testkit';
import type { DeployRequest } from '@certctl/core';

const APACHE = '/usr/sbin/apache2';
const MODULES = '/usr/lib/apache2/modules';

export type ApacheServer = RealTargetServer<'cert' | 'chain' | 'key'>;

/**
 * A real Apache httpd on 127.0.0.1 (random port), run directly with `-f` and a throwaway ServerRoot in a
 * temp dir (not the system instance), serving `initial` with SSLCertificateFile + SSLCertificateChainFile.
 */
export async function startApache(initial: DeployRequest): Promise<ApacheServer> {
  const workspace = await prepareRealServer({
    name: 'apache',
    executable: APACHE,
    installHint: 'run "node tooling/services/ensure-test-services.mjs" (apt package apache2)',
  });
  const { dir, port } = workspace;
  chmodSync(dir, 0o755);
  for (const sub of ['certs', 'logs', 'run']) mkdirSync(join(dir, sub));
  chmodSync(join(dir, 'certs'), 0o700);
  const files = {
    cert: join(dir, 'certs', 'site.crt'),
    chain: join(dir, 'certs', 'chain.pem'),
    key: join(dir, 'certs', 'site.key'),
  };
  writeFileSync(files.cert, initial.certPem, { mode: 0o644 });
  writeFileSync(files.chain, initial.chainPem, { mode: 0o644 });
  writeFileSync(files.key, initial.keyPem, { mode: 0o600 });
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
  SSLCertificateFile "${files.cert}"
  SSLCertificateChainFile "${files.chain}"
  SSLCertificateKeyFile "${files.key}"
</VirtualHost>
Include "${workspace.includePath}"
`,
  );
  const base = ['-d', dir, '-f', conf];
  execFileSync(APACHE, [...base, '-k', 'start'], { stdio: 'pipe' });
  await waitForServedSerial({ port, serial: initial.serial, timeoutMs: 15_000 });

  return workspace.ready({
    files,
    validateCommand: `${APACHE} -t ${base.join(' ')}`,
    reloadCommand: `${APACHE} ${base.join(' ')} -k graceful`,
    brokenConfig: { text: 'ThisIsNotADirective on\n', output: /ThisIsNotADirective/ },
    // AH00493: the graceful restart Apache logs once per reload it handles.
    reloadsHandled: () => (existsSync(errorLog) ? (readFileSync(errorLog, 'utf8').match(/AH00493/g) ?? []).length : 0),
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
    },
  });
}
