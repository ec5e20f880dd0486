import { createCommandFileTarget, type DeployFile } from '@certctl/connector-utils';
import type { ConnectorContext, TargetInstance } from '@certctl/core';
import type { NginxTargetConfig } from './nginx-config.js';

export const CONNECTOR = 'target-nginx';

/** NGINX: fullchain to cert_path, key to key_path (and the chain alone to chain_path), `nginx -t`, reload. */
export function createNginxTarget(config: NginxTargetConfig, ctx: ConnectorContext): TargetInstance {
  return createCommandFileTarget({
    config,
    connector: CONNECTOR,
    ctx,
    files: (material) => {
      const files: DeployFile[] = [
        { path: config.cert_path, content: material.fullchainPem, kind: 'certificate' },
        { path: config.key_path, content: material.keyPem, kind: 'private-key' },
      ];
      if (config.chain_path) files.push({ path: config.chain_path, content: material.chainPem, kind: 'certificate' });
      return files;
    },
    certificatePath: config.cert_path,
  });
}
