import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { prepareRealServer, type RealTargetServer, waitForServedSerial } from '@certctl/connector-testkit';
import type { DeployRequest } from '@certctl/core';

const HAPROXY = '/usr/sbin/haproxy';

export type HaproxyServer = RealTargetServer<'pem'>;

/**
 * A real HAProxy in master-worker mode (-W) on 127.0.0.1 (random port) with a throwaway config, serving
 * `initial` from a combined PEM. The master stays in the foreground as our child, logging to a file;
 * reloads are SIGUSR2 to it (what `systemctl reload haproxy` does), through a script that returns once
 * the master has loaded the new config.
 */
export async function startHaproxy(initial: DeployRequest): Promise<HaproxyServer> {
  const workspace = await prepareRealServer({
    name: 'haproxy',
    executable: HAPROXY,
    installHint: 'run "node tooling/services/ensure-test-services.mjs" (apt package haproxy)',
  });
  const { dir, port } = workspace;
  mkdirSync(join(dir, 'certs'));
  const files = { pem: join(dir, 'certs', 'site.pem') };
  writeFileSync(files.pem, `${initial.certPem}\n${initial.chainPem}\n${initial.keyPem}`, { mode: 0o600 });
  const cfg = join(dir, 'haproxy.cfg');
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
  bind 127.0.0.1:${port} ssl crt ${files.pem}
  http-request return status 200 content-type text/plain string ok
`,
  );
  const configs = ['-f', cfg, '-f', workspace.includePath];
  const signalReload = join(dir, 'signal-reload.sh');
  writeFileSync(
    signalReload,
    `#!/bin/sh
before=$(grep -c "Loading success" "${masterLog}")
kill -USR2 "$(cat "${pidFile}")" || exit $?
# SIGUSR2 is handled asynchronously and a second one during the re-exec can be lost: wait for this load.
tries=0
while [ "$(grep -c "Loading success" "${masterLog}")" -le "$before" ]; do
  tries=$((tries + 1)); if [ "$tries" -gt 300 ]; then echo "haproxy did not reload within 30 s" >&2; exit 1; fi
  sleep 0.1
done
`,
  );
  const log = openSync(masterLog, 'a');
  const master: ChildProcess = spawn(HAPROXY, ['-W', '-db', ...configs], { stdio: ['ignore', log, log] });
  closeSync(log);
  const exited = new Promise<void>((resolve) => master.once('exit', () => resolve()));
  try {
    await waitForServedSerial({ port, serial: initial.serial, timeoutMs: 15_000 });
  } catch (error) {
    master.kill('SIGKILL');
    throw new Error(`${(error as Error).message}; haproxy said: ${readFileSync(masterLog, 'utf8')}`);
  }

  const loads = () => (readFileSync(masterLog, 'utf8').match(/Loading success/g) ?? []).length;
  return workspace.ready({
    files,
    validateCommand: `${HAPROXY} -c ${configs.join(' ')}`,
    reloadCommand: `/bin/sh ${signalReload}`,
    brokenConfig: { text: 'frontend broken\n  this-is-not-a-keyword\n', output: /this-is-not-a-keyword/ },
    // The master logs "Loading success" once at start and once per reload.
    reloadsHandled: () => loads() - 1,
    diagnostics: () => readFileSync(masterLog, 'utf8'),
    async stop() {
      if (master.exitCode === null && master.signalCode === null) {
        master.kill('SIGTERM');
        const timer = setTimeout(() => master.kill('SIGKILL'), 5_000);
        await exited;
        clearTimeout(timer);
      }
    },
  });
}
