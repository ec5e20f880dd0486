import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, freeLoopbackPort, waitForServedSerial } from '@certctl/connector-testkit';
import type { DeployRequest } from '@certctl/core';

const NGINX = '/usr/sbin/nginx';

export interface NginxServer {
  dir: string;
  port: number;
  certPath: string;
  chainPath: string;
  keyPath: string;
  /** argv strings for the connector config. */
  validateCommand: string;
  reloadCommand: string;
  /** How many times the reload command ran. */
  reloads(): number;
  /** Makes the next reload command reload nginx and then exit 1. */
  failNextReload(): void;
  /** Breaks (or repairs) nginx.conf so `nginx -t` fails. */
  breakConfig(broken: boolean): void;
  /** Waits until nginx has handled `count` reload signals in total. */
  waitForReloads(count: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real nginx on 127.0.0.1 (random port) with a throwaway config in a temp dir, serving `initial`.
 * Reloads go through a wrapper script that counts them, so tests can prove a no-op deploy reloaded nothing.
 */
export async function startNginx(initial: DeployRequest): Promise<NginxServer> {
  if (!existsSync(NGINX)) {
    throw new Error(`${NGINX} is missing: run "node tooling/services/ensure-test-services.mjs" (apt package nginx)`);
  }
  const temp = await createTempDir('certctl-nginx-');
  const dir = temp.path;
  const port = await freeLoopbackPort();
  for (const sub of ['certs', 'logs', 'tmp']) mkdirSync(join(dir, sub));
  const certPath = join(dir, 'certs', 'site.pem');
  const chainPath = join(dir, 'certs', 'chain.pem');
  const keyPath = join(dir, 'certs', 'site.key');
  writeFileSync(certPath, `${initial.certPem}\n${initial.chainPem}`, { mode: 0o644 });
  writeFileSync(chainPath, initial.chainPem, { mode: 0o644 });
  writeFileSync(keyPath, initial.keyPem, { mode: 0o600 });
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
    ssl_certificate ${certPath};
    ssl_certificate_key ${keyPath};
    ssl_trusted_certificate ${chainPath};
    location / { return 200 "ok\\n"; }
  }
  include ${join(dir, 'extra.conf')};
}
`,
  );
  writeFileSync(join(dir, 'extra.conf'), '');
  const base = ['-p', dir, '-c', conf];
  const reloadScript = join(dir, 'reload.sh');
  writeFileSync(
    reloadScript,
    `#!/bin/sh
echo reload >> "${join(dir, 'reloads.log')}"
${NGINX} ${base.join(' ')} -s reload || exit $?
if [ -e "${join(dir, 'fail-reload')}" ]; then rm -f "${join(dir, 'fail-reload')}"; echo "reload failed (armed by the test)" >&2; exit 1; fi
`,
  );
  chmodSync(reloadScript, 0o755);
  execFileSync(NGINX, base, { stdio: 'pipe' });
  await waitForServedSerial({ port, serial: initial.serial, timeoutMs: 15_000 });

  const reconfigurations = () =>
    existsSync(errorLog) ? (readFileSync(errorLog, 'utf8').match(/reconfiguring/g) ?? []).length / 2 : 0;
  return {
    dir,
    port,
    certPath,
    chainPath,
    keyPath,
    validateCommand: `${NGINX} -t -q ${base.join(' ')}`,
    reloadCommand: reloadScript,
    reloads: () =>
      existsSync(join(dir, 'reloads.log')) ? readFileSync(join(dir, 'reloads.log'), 'utf8').split('\n').length - 1 : 0,
    failNextReload: () => writeFileSync(join(dir, 'fail-reload'), ''),
    breakConfig: (broken) => writeFileSync(join(dir, 'extra.conf'), broken ? 'this_is_not_a_directive on;\n' : ''),
    async waitForReloads(count) {
      const deadline = Date.now() + 10_000;
      while (reconfigurations() < count) {
        if (Date.now() > deadline) throw new Error(`nginx handled ${reconfigurations()} reloads, expected ${count}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      try {
        execFileSync(NGINX, [...base, '-s', 'stop'], { stdio: 'pipe' });
      } catch {
        const pid = Number(readFileSync(join(dir, 'nginx.pid'), 'utf8'));
        if (pid > 0) process.kill(pid, 'SIGKILL');
      }
      await temp.remove();
    },
  };
}
