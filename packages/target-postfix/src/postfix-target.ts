import { constants as fsConstants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  checkDeployedCertificate,
  type DeployFile,
  deployFiles,
  describeLeaf,
  prepareTlsMaterial,
  type TlsMaterial,
  verifyServedCertificate,
} from '@certctl/connector-utils';
import {
  type ConnectionTestResult,
  type ConnectorContext,
  ConnectorError,
  type DeployRequest,
  type TargetInstance,
} from '@certctl/core';
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

async function holdsBytes(path: string, content: string | Uint8Array): Promise<boolean> {
  try {
    return (await readFile(path)).equals(Buffer.from(content));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * Postfix or Dovecot on this host: writes the certificate, chain and key beside their targets, runs
 * the validate command, renames them into place, reloads the daemon; on any failure the previous
 * bytes are restored (and the daemon reloaded again if it may have loaded the new ones).
 */
export function createPostfixTarget(config: PostfixTargetConfig, ctx: ConnectorContext): PostfixTarget {
  const settings = resolveMailSettings(config);
  const daemon = settings.mode === 'postfix' ? 'Postfix' : 'Dovecot';
  const logger = ctx.logger.child({ connector: CONNECTOR, mode: settings.mode });

  return {
    async deploy(request) {
      const signal = request.signal ?? ctx.signal;
      const material = prepareTlsMaterial(request, CONNECTOR);
      const files = filesFor(settings, material);
      // The fingerprint of what we write, not what the request claims.
      const fingerprintSha256 = describeLeaf(material.leafPem)!.fingerprintSha256;
      const result = await deployFiles({
        files,
        validate: settings.validate ? () => settings.validate!.run(ctx.exec, signal) : undefined,
        reload: () => settings.reload.run(ctx.exec, signal),
        verify: settings.verify
          ? () =>
              verifyServedCertificate({
                ...settings.verify!,
                fingerprintSha256,
                clock: ctx.clock,
                signal,
                connector: CONNECTOR,
              })
          : undefined,
        backups: settings.backups,
        signal,
        logger,
        connector: CONNECTOR,
        clock: ctx.clock,
      });
      if (!result.changed) {
        return {
          changed: false,
          detail: `${result.files.join(', ')} already hold serial ${request.serial}; nothing written, ${daemon} not reloaded`,
        };
      }
      const steps = [`wrote ${result.files.join(', ')}`];
      if (settings.validate) steps.push(`"${settings.validate.text}" passed`);
      steps.push(`"${settings.reload.text}" reloaded ${daemon}`);
      if (settings.verify) steps.push(`${settings.verify.host}:${settings.verify.port} presents it`);
      return { changed: true, detail: `${steps.join('; ')} (serial ${request.serial})` };
    },

    async validateDeployment(request) {
      return checkDeployedCertificate(settings.certPath, request);
    },

    async dryRun(request) {
      const files = filesFor(settings, prepareTlsMaterial(request, CONNECTOR));
      const steps: string[] = [];
      for (const file of files) {
        const same = await holdsBytes(file.path, file.content);
        steps.push(
          same ? `keep ${file.path} (already these bytes)` : `write ${file.path} atomically (temp file, rename)`,
        );
      }
      if (steps.every((s) => s.startsWith('keep'))) {
        steps.push(`skip validation and reload: nothing changes`);
        return { steps };
      }
      if (settings.validate) steps.push(`run validate_command "${settings.validate.text}"`);
      steps.push(`run reload_command "${settings.reload.text}"`);
      if (settings.verify) {
        steps.push(`check that ${settings.verify.host}:${settings.verify.port} presents the new certificate`);
      }
      steps.push('on any failure restore the previous files and reload again');
      return { steps };
    },

    async testConnection(options) {
      const signal = options?.signal ?? ctx.signal;
      const directories = [
        ...new Set(
          [settings.certPath, settings.keyPath, settings.chainPath]
            .filter((p) => p !== undefined)
            .map((p) => dirname(p)),
        ),
      ];
      for (const directory of directories) {
        try {
          await access(directory, fsConstants.W_OK | fsConstants.X_OK);
        } catch (error) {
          throw new ConnectorError({
            connector: CONNECTOR,
            message: `cannot write to ${directory} (${(error as NodeJS.ErrnoException).code}); create it or run the agent as a user that may write there`,
            cause: error,
          });
        }
      }
      if (settings.validate) await settings.validate.run(ctx.exec, signal);
      return {
        ok: true,
        detail: `${directories.join(', ')} writable${settings.validate ? `; "${settings.validate.text}" passed` : ''}`,
      } satisfies ConnectionTestResult;
    },
  };
}
