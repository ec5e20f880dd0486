import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { createTestDeployRequest, freeLoopbackPort } from '@certctl/connector-testkit';
import { prepareTlsMaterial } from '@certctl/connector-utils';
import type { DeployRequest } from '@certctl/core';

export interface CaddyInstance {
  adminUrl: string;
  httpsPort: number;
  configPath: string;
  certDir: string;
  /** The certificate Caddy serves at start. */
  initial: DeployRequest;
  validateCommand: string;
  reloadCommand: string;
  /** Makes the config file invalid JSON (file mode); `repairConfig` writes it back. */
  breakConfig(): void;
  repairConfig(): void;
  /** Deletes the files of an unrelated load_files entry, so Caddy refuses any new config until `restoreAux`. */
  breakAux(): void;
  restoreAux(): void;
  stop(): Promise<void>;
}

async function waitForPort(port: number, child: ChildProcess, log: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`caddy did not open 127.0.0.1:${port}:\n${readFileSync(log, 'utf8')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A private Caddy (Debian's package) under `root`: admin API and one HTTPS server on random
 * 127.0.0.1 ports, automatic HTTPS off, a connection policy that serves the certificate tagged
 * `certctl`. In api mode that certificate is a load_pem entry; in file mode a load_files entry
 * pointing at `<root>/certs/site.crt` and `site.key`. Stopped by the PID of the process it spawned.
 */
export async function startCaddy(root: string, mode: 'api' | 'file'): Promise<CaddyInstance> {
  chmodSync(root, 0o755);
  const certDir = join(root, 'certs');
  mkdirSync(certDir, { recursive: true });
  const [adminPort, httpsPort] = [await freeLoopbackPort(), await freeLoopbackPort()];
  const initial = await createTestDeployRequest({ commonName: `initial.caddy-${mode}.example.test` });
  const material = prepareTlsMaterial(initial);
  const aux = prepareTlsMaterial(await createTestDeployRequest({ commonName: 'aux.caddy.example.test' }));
  const auxCert = join(root, 'aux.crt');
  const auxKey = join(root, 'aux.key');
  writeFileSync(auxCert, aux.fullchainPem);
  writeFileSync(auxKey, aux.keyPem, { mode: 0o600 });
  const certPath = join(certDir, 'site.crt');
  const keyPath = join(certDir, 'site.key');
  if (mode === 'file') {
    writeFileSync(certPath, material.fullchainPem, { mode: 0o644 });
    writeFileSync(keyPath, material.keyPem, { mode: 0o600 });
  }
  const config = {
    admin: { listen: `127.0.0.1:${adminPort}`, config: { persist: false } },
    logging: { logs: { default: { level: 'ERROR' } } },
    storage: { module: 'file_system', root: join(root, 'data') },
    apps: {
      http: {
        servers: {
          site: {
            listen: [`127.0.0.1:${httpsPort}`],
            automatic_https: { disable: true },
            tls_connection_policies: [{ certificate_selection: { any_tag: ['certctl'] } }],
            routes: [{ handle: [{ handler: 'static_response', body: 'ok' }] }],
          },
        },
      },
      tls: {
        certificates: {
          load_files: [
            { certificate: auxCert, key: auxKey, tags: ['aux'] },
            ...(mode === 'file' ? [{ certificate: certPath, key: keyPath, tags: ['certctl'] }] : []),
          ],
          ...(mode === 'api'
            ? { load_pem: [{ certificate: material.fullchainPem, key: material.keyPem, tags: ['certctl'] }] }
            : {}),
        },
      },
    },
  };
  const configPath = join(root, 'caddy.json');
  const configText = `${JSON.stringify(config, null, 2)}\n`;
  writeFileSync(configPath, configText, { mode: 0o600 });
  const log = join(root, 'caddy.log');
  const out = openSync(log, 'a');
  const child = spawn('caddy', ['run', '--config', configPath], {
    cwd: root,
    env: {
      PATH: '/usr/local/bin:/usr/bin:/bin',
      HOME: root,
      XDG_CONFIG_HOME: join(root, 'config'),
      XDG_DATA_HOME: join(root, 'data'),
    },
    stdio: ['ignore', out, out],
  });
  await waitForPort(adminPort, child, log);
  await waitForPort(httpsPort, child, log);
  const auxBytes = { cert: readFileSync(auxCert), key: readFileSync(auxKey) };
  return {
    adminUrl: `http://127.0.0.1:${adminPort}`,
    httpsPort,
    configPath,
    certDir,
    initial,
    validateCommand: `caddy validate --config ${configPath}`,
    reloadCommand: `caddy reload --config ${configPath} --force`,
    breakConfig: () => writeFileSync(configPath, `${configText}}this is not JSON`),
    repairConfig: () => writeFileSync(configPath, configText),
    breakAux: () => {
      writeFileSync(auxCert, '');
      writeFileSync(auxKey, '');
    },
    restoreAux: () => {
      writeFileSync(auxCert, auxBytes.cert);
      writeFileSync(auxKey, auxBytes.key);
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
