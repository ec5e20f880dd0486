import { createCommandFileTarget, type DeployFile } from '@certctl/connector-utils';
import type { ConnectorContext, TargetInstance } from '@certctl/core';
import type { ApacheTargetConfig } from './apache-config.js';

export const CONNECTOR = 'target-apache';

/**
 * Apache httpd: with chain_path, the leaf to cert_path and the chain to chain_path (SSLCertificateChainFile);
 * without, the leaf and its chain to cert_path (SSLCertificateFile takes both since 2.4.8). Then
 * `apachectl configtest` and a graceful restart.
 */
export function createApacheTarget(config: ApacheTargetConfig, ctx: ConnectorContext): TargetInstance {
  return createCommandFileTarget({
    config,
    connector: CONNECTOR,
    ctx,
    files: (material) => {
      const files: DeployFile[] = [
        {
          path: config.cert_path,
          content: config.chain_path ? material.leafPem : material.fullchainPem,
          kind: 'certificate',
        },
        { path: config.key_path, content: material.keyPem, kind: 'private-key' },
      ];
      if (config.chain_path) files.push({ path: config.chain_path, content: material.chainPem, kind: 'certificate' });
      return files;
    },
    certificatePath: config.cert_path,
  });
}
