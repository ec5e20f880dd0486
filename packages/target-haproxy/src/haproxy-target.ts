import { createFileTarget, createOperatorCommand, resolvePostDeployVerify } from '@certctl/connector-utils';
import type { ConnectorContext, TargetInstance } from '@certctl/core';
import type { HaproxyTargetConfig } from './haproxy-config.js';

export const CONNECTOR = 'target-haproxy';

/** HAProxy: one combined PEM (certificate, chain, key) at pem_path, mode 0600; optional validate, then reload. */
export function createHaproxyTarget(config: HaproxyTargetConfig, ctx: ConnectorContext): TargetInstance {
  const timeoutMs = config.command_timeout_seconds * 1000;
  return createFileTarget({
    connector: CONNECTOR,
    ctx,
    // The file holds the key, so it is a private-key file (0600 when new), certificate blocks first.
    files: (material) => [
      { path: config.pem_path, content: material.fullchainPem + material.keyPem, kind: 'private-key' },
    ],
    certificatePath: config.pem_path,
    verify: resolvePostDeployVerify(config.post_deploy_verify),
    validateCommand: config.validate_command
      ? createOperatorCommand(config.validate_command, {
          field: 'validate_command',
          connector: CONNECTOR,
          timeoutMs,
          logger: ctx.logger,
        })
      : undefined,
    reloadCommand: createOperatorCommand(config.reload_command, {
      field: 'reload_command',
      connector: CONNECTOR,
      timeoutMs,
      logger: ctx.logger,
    }),
  });
}
