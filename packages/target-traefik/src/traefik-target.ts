import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileTarget, type DeployFile, privateKeyPemFor } from '@certctl/connector-utils';
import type { ConnectorContext, TargetInstance } from '@certctl/core';
import type { TraefikTargetConfig } from './traefik-config.js';
import { buildTlsDynamicConfig, readTlsDynamicConfig } from './traefik-dynamic-config.js';

export const CONNECTOR = 'target-traefik';

/**
 * Traefik's file provider: certificate + chain and key into cert_dir, and optionally a dynamic config
 * naming them. Traefik watches the directory and reloads by itself, so there is no reload command; the
 * written files are read back and checked (key matches certificate, config parses) before the deploy counts.
 */
export function createTraefikTarget(config: TraefikTargetConfig, ctx: ConnectorContext): TargetInstance {
  const certPath = join(config.cert_dir, config.cert_file);
  const keyPath = join(config.cert_dir, config.key_file);
  const dynamicPath = config.dynamic_config_file ? join(config.cert_dir, config.dynamic_config_file) : undefined;
  return createFileTarget({
    connector: CONNECTOR,
    ctx,
    // The dynamic config last: Traefik reacts to it, and by then the files it names are in place.
    files: (material) => {
      const files: DeployFile[] = [
        { path: certPath, content: material.fullchainPem, kind: 'certificate' },
        { path: keyPath, content: material.keyPem, kind: 'private-key' },
      ];
      if (dynamicPath)
        files.push({ path: dynamicPath, content: buildTlsDynamicConfig(certPath, keyPath), kind: 'certificate' });
      return files;
    },
    certificatePath: certPath,
    check: async () => {
      const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
      privateKeyPemFor(certPem, keyPem);
      if (dynamicPath) {
        const entries = readTlsDynamicConfig(await readFile(dynamicPath, 'utf8'));
        if (!entries.some((e) => e.certFile === certPath && e.keyFile === keyPath)) {
          throw new Error(`${dynamicPath} does not name ${certPath} and ${keyPath}`);
        }
      }
    },
  });
}
