import { createFileTarget, type DeployFile, type TlsMaterial } from '@certctl/connector-utils';
import type { ConnectorContext, TargetInstance } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import { type MailSettings, type PostfixTargetConfig, resolveMailSettings } from './postfix-config.js';

export type PostfixTarget = Required<Pick<TargetInstance, 'dryRun' | 'testConnection'>> & TargetInstance;

/** The files one deploy writes: certificate (fullchain unless chain_path is set), chain, key. */
function filesFor(settings: MailSettings, material: TlsMaterial): DeployFile[] {
  const files: DeployFile[] = [
    {
      path: settings.certPath,
      content: settings.chainPath ? material.leafPem : material.fullchainPem,
      kind: 'certificate',
    },
  ];
  if (settings.chainPath) files.push({ path: settings.chainPath, content: material.chainPem, kind: 'certificate' });
  files.push({ path: settings.keyPath, content: material.keyPem, kind: 'private-key' });
  return files;
}

/**
 * Postfix or Dovecot on this host: writes the certificate, chain and key beside their targets, runs
 * the validate command, renames them into place, reloads the daemon, and with post_deploy_verify
 * checks over STARTTLS that the daemon presents the new certificate; on any failure the previous
 * bytes are restored (and the daemon reloaded again if it may have loaded the new ones).
 */
export function createPostfixTarget(config: PostfixTargetConfig, ctx: ConnectorContext): PostfixTarget {
  const settings = resolveMailSettings(config);
  return createFileTarget({
    connector: CONNECTOR,
    ctx: {
      exec: ctx.exec,
      clock: ctx.clock,
      signal: ctx.signal,
      logger: ctx.logger.child({ connector: CONNECTOR, mode: settings.mode }),
    },
    service: settings.mode === 'postfix' ? 'Postfix' : 'Dovecot',
    files: (material) => filesFor(settings, material),
    certificatePath: settings.certPath,
    validateCommand: settings.validate,
    reloadCommand: settings.reload,
    verify: settings.verify,
    backups: settings.backups,
  });
}
