import {
  createFileTarget,
  createOperatorCommand,
  type DeployFile,
  resolvePostDeployVerify,
} from '@certctl/connector-utils';
import type { ConnectorContext, TargetInstance } from '@certctl/core';
import type { NginxTargetConfig } from './nginx-config.js';

export const CONNECTOR = 'target-nginx';

/** NGINX: fullchain to cert_path, key to key_path (and the chain alone to chain_path), `nginx -t`, reload. */
export function createNginxTarget(config: NginxTargetConfig, ctx: ConnectorContext): TargetInstance {
  const timeoutMs = config.command_timeout_seconds * 1000;
  return createFileTarget({
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
    verify: resolvePostDeployVerify(config.post_deploy_verify),
    validateCommand: createOperatorCommand(config.validate_command, {
      field: 'validate_command',
      connector: CONNECTOR,
      timeoutMs,
      logger: ctx.logger,
    }),
    reloadCommand: createOperatorCommand(config.reload_command, {
      field: 'reload_command',
      connector: CONNECTOR,
      timeoutMs,
      logger: ctx.logger,
    }),
  });
}
