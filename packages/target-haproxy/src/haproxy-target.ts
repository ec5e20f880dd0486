import { createCommandFileTarget } from '@certctl/connector-utils';
import type { ConnectorContext, TargetInstance } from '@certctl/core';
import type { HaproxyTargetConfig } from './haproxy-config.js';

export const CONNECTOR = 'target-haproxy';

/** HAProxy: one combined PEM (certificate, chain, key) at pem_path, mode 0600; optional validate, then reload. */
export function createHaproxyTarget(config: HaproxyTargetConfig, ctx: ConnectorContext): TargetInstance {
  return createCommandFileTarget({
    config,
    connector: CONNECTOR,
    ctx,
    // The file holds the key, so it is a private-key file (0600 when new), certificate blocks first.
    files: (material) => [
      { path: config.pem_path, content: material.fullchainPem + material.keyPem, kind: 'private-key' },
    ],
    certificatePath: config.pem_path,
  });
}
