/** Test helper: a private pebble for one test file, plus the config and hook scripts that point at it. */
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, type RunningPebble, type StartPebbleOptions, startPebble } from '@certctl/tooling/services';
import type { AcmeIssuerConfigInput } from '../acme-config.js';

const HOOK = fileURLToPath(new URL('./challtestsrv-dns-hook.sh', import.meta.url));

export interface PebbleFixture {
  pebble: RunningPebble;
  dir: string;
  /** Port of our built-in HTTP-01 responder, where pebble's VA connects. */
  responderPort: number;
  /** Base config: pebble's directory, its TLS CA trusted through ca_bundle_path, HTTP-01 on responderPort. */
  config: AcmeIssuerConfigInput & { directory_url: string };
  /** Wrapper scripts around the challtestsrv hook (the hook gets only the documented variables). */
  presentScript: string;
  cleanupScript: string;
  /** Lines `present|cleanup <fqdn> <value>` the hooks wrote. */
  hookLog(): Promise<string[]>;
  stop(): Promise<void>;
}

export async function startPebbleFixture(options: StartPebbleOptions = {}): Promise<PebbleFixture> {
  const responderPort = await freePort();
  const pebble = await startPebble({ httpPort: responderPort, ...options });
  const dir = await mkdtemp(join(tmpdir(), 'issuer-acme-test-'));
  const caPath = join(dir, 'pebble-tls-ca.pem');
  await writeFile(caPath, pebble.tlsCaPem);
  const logPath = join(dir, 'hook.log');
  const wrapper = async (name: string, action: string) => {
    const path = join(dir, name);
    await writeFile(path, `#!/bin/sh\nHOOK_LOG='${logPath}' exec '${HOOK}' ${action} '${pebble.challtestsrvUrl}'\n`);
    await chmod(path, 0o755);
    return path;
  };
  return {
    pebble,
    dir,
    responderPort,
    config: {
      directory_url: pebble.directoryUrl,
      email: 'admin@example.com',
      http_port: responderPort,
      http_bind_address: '127.0.0.1',
      ca_bundle_path: caPath,
      dns_propagation_wait: 0,
    },
    presentScript: await wrapper('present.sh', 'present'),
    cleanupScript: await wrapper('cleanup.sh', 'cleanup'),
    hookLog: async () => (await readFile(logPath, 'utf8').catch(() => '')).split('\n').filter(Boolean),
    stop: async () => {
      await pebble.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
