import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createFileTarget, type DeployFile, privateKeyPemFor } from '@certctl/connector-utils';
import type { ConnectorContext, TargetInstance } from '@certctl/core';
import { type EnvoyTargetConfig, SDS_FILE_NAME } from './envoy-config.js';
import { buildSdsFile, readSdsFile } from './envoy-sds.js';

export const CONNECTOR = 'target-envoy';

/**
 * Envoy: certificate (+ chain, or a separate chain file) and key into cert_dir, and optionally a
 * file-based SDS resource naming them. Envoy watches SDS files (for moves, which is how every file is
 * replaced here) and the files they name, so no reload command runs; the written files are read back
 * and checked before the deploy counts.
 */
export function createEnvoyTarget(config: EnvoyTargetConfig, ctx: ConnectorContext): TargetInstance {
  const certPath = join(config.cert_dir, config.cert_filename);
  const keyPath = join(config.cert_dir, config.key_filename);
  const chainPath = config.chain_filename ? join(config.cert_dir, config.chain_filename) : undefined;
  const sdsPath = config.sds_config ? join(config.cert_dir, SDS_FILE_NAME) : undefined;
  return createFileTarget({
    connector: CONNECTOR,
    ctx,
    // The SDS file last: Envoy reacts to it, and by then the files it names are in place.
    files: (material) => {
      const files: DeployFile[] = [
        { path: certPath, content: chainPath ? material.leafPem : material.fullchainPem, kind: 'certificate' },
        { path: keyPath, content: material.keyPem, kind: 'private-key' },
      ];
      if (chainPath) files.push({ path: chainPath, content: material.chainPem, kind: 'certificate' });
      if (sdsPath) {
        files.push({
          path: sdsPath,
          content: buildSdsFile(config.sds_resource_name, certPath, keyPath),
          kind: 'certificate',
        });
      }
      return files;
    },
    certificatePath: certPath,
    check: async () => {
      privateKeyPemFor(await readFile(certPath, 'utf8'), await readFile(keyPath, 'utf8'));
      if (sdsPath) {
        const secret = readSdsFile(await readFile(sdsPath, 'utf8')).find((s) => s.name === config.sds_resource_name);
        if (
          secret?.tls_certificate.certificate_chain.filename !== certPath ||
          secret.tls_certificate.private_key.filename !== keyPath
        ) {
          throw new Error(
            `${sdsPath} does not name ${certPath} and ${keyPath} under Secret ${config.sds_resource_name}`,
          );
        }
      }
    },
  });
}
