import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTempDir, freeLoopbackPort, waitForServedSerial } from '@certctl/connector-testkit';
import type { DeployRequest } from '@certctl/core';

const HAPROXY = '/usr/sbin/haproxy';

export interface HaproxyServer {
  dir: string;
  port: number;
  pemPath: string;
  validateCommand: string;
  reloadCommand: string;
  /** How many times the reload command ran. */
  reloads(): number;
  /** Makes the next reload command reload HAProxy and then exit 1. */
  failNextReload(): void;
  /** Breaks (or repairs) the config so `haproxy -c` fails. */
  breakConfig(broken: boolean): void;
  /** Waits until the master has loaded a configuration `count` times after the first. */
  waitForReloads(count: number): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A real HAProxy in master-worker mode (-W) on 127.0.0.1 (random port) with a throwaway config, serving
 * `initial` from a combined PEM. The master stays in the foreground as our child, logging to a file;
 * reloads are SIGUSR2 to it (what `systemctl reload haproxy` does), through a wrapper that counts them
 * and returns once the master has loaded the new config.
 */
export async function startHaproxy(initial: DeployRequest): Promise<HaproxyServer> {
  if (!existsSync(HAPROXY)) {
    throw new Error(
      `${HAPROXY} is missing: run "node tooling/services/ensure-test-services.mjs" (apt package haproxy)`,
    );
  }
  const temp = await createTempDir('certctl-haproxy-');
  const dir = temp.path;
  const port = await freeLoopbackPort();
  mkdirSync(join(dir, 'certs'));
  const pemPath = join(dir, 'certs', 'site.pem');
  writeFileSync(pemPath, `${initial.certPem}\n${initial.chainPem}\n${initial.keyPem}`, { mode: 0o600 });
  const cfg = join(dir, 'haproxy.cfg');
  const extra = join(dir, 'extra.cfg');
  const pidFile = join(dir, 'haproxy.pid');
  const masterLog = join(dir, 'master.log');
  writeFileSync(
    cfg,
    `global
  pidfile ${pidFile}
defaults
  mode http
  timeout connect 2s
  timeout client 5s
  timeout server 5s
frontend tls
  bind 127.0.0.1:${port} ssl crt ${pemPath}
  http-request return status 200 content-type text/plain string ok
`,
  );
  writeFileSync(extra, '');
  const files = ['-f', cfg, '-f', extra];
  const reloadScript = join(dir, 'reload.sh');
  writeFileSync(
    reloadScript,
    `#!/bin/sh
echo reload >> "${join(dir, 'reloads.log')}"
before=$(grep -c "Loading success" "${masterLog}")
kill -USR2 "$(cat "${pidFile}")" || exit $?
# SIGUSR2 is handled asynchronously and a second one during the re-exec can be lost: wait for this load.
tries=0
while [ "$(grep -c "Loading success" "${masterLog}")" -le "$before" ]; do
  tries=$((tries + 1)); if [ "$tries" -gt 100 ]; then echo "haproxy did not reload within 10 s" >&2; exit 1; fi
  sleep 0.1
done
if [ -e "${join(dir, 'fail-reload')}" ]; then rm -f "${join(dir, 'fail-reload')}"; echo "reload failed (armed by the test)" >&2; exit 1; fi
`,
  );
  chmodSync(reloadScript, 0o755);
  const log = openSync(masterLog, 'a');
  const master: ChildProcess = spawn(HAPROXY, ['-W', '-db', ...files], { stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((resolve) => master.once('exit', () => resolve()));
  try {
    await waitForServedSerial({ port, serial: initial.serial, timeoutMs: 15_000 });
  } catch (error) {
    master.kill('SIGKILL');
    throw new Error(`${(error as Error).message}; haproxy said: ${readFileSync(masterLog, 'utf8')}`);
  }

  const loads = () => (readFileSync(masterLog, 'utf8').match(/Loading success/g) ?? []).length;
  return {
    dir,
    port,
    pemPath,
    validateCommand: `${HAPROXY} -c ${files.join(' ')}`,
    reloadCommand: reloadScript,
    reloads: () =>
      existsSync(join(dir, 'reloads.log')) ? readFileSync(join(dir, 'reloads.log'), 'utf8').split('\n').length - 1 : 0,
    failNextReload: () => writeFileSync(join(dir, 'fail-reload'), ''),
    breakConfig: (broken) => writeFileSync(extra, broken ? 'frontend broken\n  this-is-not-a-keyword\n' : ''),
    async waitForReloads(count) {
      const deadline = Date.now() + 10_000;
      while (loads() - 1 < count) {
        if (Date.now() > deadline)
          throw new Error(
            `HAProxy reloaded ${loads() - 1} times, expected ${count}: ${readFileSync(masterLog, 'utf8')}`,
          );
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (master.exitCode === null && master.signalCode === null) {
        master.kill('SIGTERM');
        const timer = setTimeout(() => master.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await temp.remove();
    },
  };
}
