import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareRealServer, type RealTargetServer, waitForServedSerial } from '@certctl/connector-testkit';
import type { DeployRequest } from '@certctl/core';

const NGINX = '/usr/sbin/nginx';

export type NginxServer = RealTargetServer<'cert' | 'chain' | 'key'>;

/**
 * A real nginx on 127.0.0.1 (random port) with a throwaway config in a temp dir, serving `initial`.
 * Reloads go through a wrapper that counts them, so tests can prove a no-op deploy reloaded nothing.
 */
export async function startNginx(initial: DeployRequest): Promise<NginxServer> {
  const workspace = await prepareRealServer({
    name: 'nginx',
    executable: NGINX,
    installHint: 'run "node tooling/services/ensure-test-services.mjs" (apt package nginx)',
  });
  const { dir, port } = workspace;
  for (const sub of ['certs', 'logs', 'tmp']) mkdirSync(join(dir, sub));
  const files = {
    cert: join(dir, 'certs', 'site.pem'),
    chain: join(dir, 'certs', 'chain.pem'),
    key: join(dir, 'certs', 'site.key'),
  };
  writeFileSync(files.cert, `${initial.certPem}\n${initial.chainPem}`, { mode: 0o644 });
  writeFileSync(files.chain, initial.chainPem, { mode: 0o644 });
  writeFileSync(files.key, initial.keyPem, { mode: 0o600 });
  const conf = join(dir, 'nginx.conf');
  const errorLog = join(dir, 'logs', 'error.log');
  const temps = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']
    .map((t) => `  ${t}_temp_path ${join(dir, 'tmp', t)};`)
    .join('\n');
  writeFileSync(
    conf,
    `${process.getuid?.() === 0 ? 'user nobody nogroup;\n' : ''}pid ${join(dir, 'nginx.pid')};
error_log ${errorLog} notice;
worker_processes 1;
events { worker_connections 64; }
http {
  access_log off;
${temps}
  server {
    listen 127.0.0.1:${port} ssl;
    server_name site.example.test;
    ssl_certificate ${files.cert};
    ssl_certificate_key ${files.key};
    ssl_trusted_certificate ${files.chain};
    location / { return 200 "ok\\n"; }
  }
  include ${workspace.includePath};
}
`,
  );
  const base = ['-p', dir, '-c', conf];
  // `nginx -s reload` only sends SIGHUP, and two in quick succession can be handled as one: the
  // script returns once this reload's old worker has exited, so every reload is counted.
  const signalReload = join(dir, 'signal-reload.sh');
  writeFileSync(
    signalReload,
    `#!/bin/sh
handled() { cat "${errorLog}" 2>/dev/null | grep -c "worker process [0-9]* exited"; }
before=$(handled)
${NGINX} ${base.join(' ')} -s reload || exit $?
tries=0
while [ "$(handled)" -le "$before" ]; do
  tries=$((tries + 1)); if [ "$tries" -gt 300 ]; then echo "nginx did not reload within 30 s" >&2; exit 1; fi
  sleep 0.1
done
`,
  );
  execFileSync(NGINX, base, { stdio: 'pipe' });
  await waitForServedSerial({ port, serial: initial.serial, timeoutMs: 15_000 });

  return workspace.ready({
    files,
    validateCommand: `${NGINX} -t -q ${base.join(' ')}`,
    reloadCommand: `/bin/sh ${signalReload}`,
    brokenConfig: { text: 'this_is_not_a_directive on;\n', output: /this_is_not_a_directive/ },
    // A reload is handled once the old worker (worker_processes 1) has exited: until then it may still
    // accept connections with the old certificate.
    reloadsHandled: () =>
      existsSync(errorLog) ? (readFileSync(errorLog, 'utf8').match(/worker process \d+ exited/g) ?? []).length : 0,
    async stop() {
      try {
        execFileSync(NGINX, [...base, '-s', 'stop'], { stdio: 'pipe' });
      } catch {
        const pid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8'));
        if (pid > 0) process.kill(pid, 'SIGKILL');
      }
    },
  });
}
