import {
  buildWindowsPfx,
  type CertStoreOperation,
  certStoreScript,
  createWindowsPowerShell,
  execDeadlineMs,
  prepareTlsMaterial,
  runWindowsOperation,
  type StoreCertificate,
  windowsAdvice,
} from '@certctl/connector-utils';
import {
  AuthenticationError,
  type ConnectorContext,
  ConnectorError,
  type DeployRequest,
  type DeployResult,
  type TargetInstance,
  VendorApiError,
} from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import type { WinCertStoreTargetConfig } from './wincertstore-config.js';

export type WinCertStoreTarget = Required<Pick<TargetInstance, 'dryRun' | 'testConnection' | 'stop'>> & TargetInstance;

const sameSerial = (a: string, b: string) =>
  a
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .replace(/^0+(?=.)/, '') ===
  b
    .toLowerCase()
    .replace(/[^0-9a-f]/g, '')
    .replace(/^0+(?=.)/, '');

/**
 * A Windows certificate store as a deploy target. The certificate this target manages carries
 * `friendly_name`; a deploy imports the new one (PFX in memory, key persisted in the store), then
 * archives the one it replaces (hidden from applications, still there), then reads the store back.
 * On any failure the replaced certificate is unarchived and the new one removed if it was not
 * there before. With `remove_expired`, expired certificates of the same common name go afterwards.
 */
export function createWinCertStoreTarget(config: WinCertStoreTargetConfig, ctx: ConnectorContext): WinCertStoreTarget {
  const where = { storeLocation: config.store_location, storeName: config.store_name };
  const storeLabel = `${config.store_location}\\${config.store_name}`;
  const timeoutMs = execDeadlineMs(config.exec_deadline);
  const logger = ctx.logger.child({ connector: CONNECTOR, store: storeLabel, mode: config.mode });
  let shell: ReturnType<typeof createWindowsPowerShell> | undefined;
  const powershell = () => {
    shell ??= createWindowsPowerShell({
      connector: CONNECTOR,
      mode: config.mode,
      winrm:
        config.mode === 'winrm'
          ? {
              winrm_host: config.winrm_host!,
              winrm_port: config.winrm_port,
              winrm_username: config.winrm_username!,
              winrm_password: config.winrm_password!,
              winrm_https: true,
              winrm_insecure: config.winrm_insecure,
              winrm_auth: config.winrm_auth,
              winrm_ca_path: config.winrm_ca_path,
            }
          : undefined,
      ctx,
      timeoutMs,
    });
    return shell;
  };
  const run = async <T>(
    operation: CertStoreOperation,
    parameters: Record<string, string | boolean | null | readonly string[]>,
    signal?: AbortSignal,
  ) =>
    runWindowsOperation<T>(await powershell(), certStoreScript(operation, where, parameters), {
      connector: CONNECTOR,
      operation: `${operation} (${storeLabel})`,
      timeoutMs,
      signal,
      advice: windowsAdvice,
    });
  const list = async (signal?: AbortSignal) =>
    (await run<{ certificates: StoreCertificate[] | null }>('CertStore.List', {}, signal)).certificates ?? [];
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const failed = (error: unknown, outcome: string): ConnectorError => {
    const message = `${(error as Error).message.replace(/^\[certctl\] \[target-wincertstore\] /, '')}; ${outcome}`;
    if (AuthenticationError.isInstance(error)) return new AuthenticationError({ connector: CONNECTOR, message });
    return new VendorApiError({
      connector: CONNECTOR,
      retryable: ConnectorError.isInstance(error) ? error.retryable : false,
      message,
    });
  };

  /** Puts the store back as it was; returns what was done, for the error message. */
  async function rollback(
    thumbprint: string,
    existing: StoreCertificate | undefined,
    replaced: string[],
    signal?: AbortSignal,
  ): Promise<string> {
    const done: string[] = [];
    try {
      if (replaced.length) {
        await run('CertStore.SetArchived', { Thumbprints: replaced, Archived: false }, signal);
        done.push(`${replaced.join(', ')} unarchived`);
      }
      if (!existing) {
        await run('CertStore.Remove', { Thumbprints: [thumbprint] }, signal);
        done.push(`${thumbprint} removed`);
      } else if (existing.archived) {
        await run('CertStore.SetArchived', { Thumbprints: [thumbprint], Archived: true }, signal);
      }
      ctx.metrics.increment('deploy_rollback_total', { target_type: 'wincertstore', outcome: 'restored' });
      logger.warn({ thumbprint, unarchived: replaced }, 'restored the certificate store');
      return `restored: ${done.join('; ') || 'nothing had changed'}`;
    } catch (error) {
      ctx.metrics.increment('deploy_rollback_total', { target_type: 'wincertstore', outcome: 'also_failed' });
      return `${done.length ? `${done.join('; ')}, but ` : ''}restoring failed too: ${(error as Error).message.replace(/^\[certctl\] \[target-wincertstore\] /, '')}`;
    }
  }

  async function deploy(request: DeployRequest): Promise<DeployResult> {
    const material = prepareTlsMaterial(request, CONNECTOR);
    const pfx = buildWindowsPfx(material, config.friendly_name);
    const signal = request.signal ?? ctx.signal;
    const before = await list(signal);
    const active = before.filter((c) => c.friendlyName === config.friendly_name && !c.archived);
    const existing = before.find((c) => c.thumbprint === pfx.thumbprint);
    if (active.length === 1 && active[0]!.thumbprint === pfx.thumbprint && active[0]!.hasPrivateKey) {
      return { changed: false, detail: `${storeLabel} already holds ${pfx.thumbprint} as "${config.friendly_name}"` };
    }
    const replaced = active.filter((c) => c.thumbprint !== pfx.thumbprint).map((c) => c.thumbprint);
    try {
      await run(
        'CertStore.Import',
        {
          PfxBase64: pfx.pfxBase64,
          PfxPassword: pfx.password,
          Thumbprint: pfx.thumbprint,
          FriendlyName: config.friendly_name,
        },
        signal,
      );
      if (replaced.length) await run('CertStore.SetArchived', { Thumbprints: replaced, Archived: true }, signal);
      const after = await list(signal);
      const mine = after.find((c) => c.thumbprint === pfx.thumbprint);
      if (
        !mine ||
        mine.archived ||
        !mine.hasPrivateKey ||
        after.some((c) => replaced.includes(c.thumbprint) && !c.archived)
      ) {
        throw new VendorApiError({
          connector: CONNECTOR,
          retryable: true,
          message: `${storeLabel} does not show ${pfx.thumbprint} active with its private key after the import`,
        });
      }
    } catch (error) {
      throw failed(error, await rollback(pfx.thumbprint, existing, replaced, signal));
    }
    let removed: string[] = [];
    if (config.remove_expired && pfx.commonName) {
      try {
        removed =
          (
            await run<{ removed: string[] | null }>(
              'CertStore.RemoveExpired',
              { CommonName: pfx.commonName, KeepThumbprint: pfx.thumbprint },
              signal,
            )
          ).removed ?? [];
      } catch (error) {
        logger.warn({ error: (error as Error).message }, 'removing expired certificates failed; the deploy stands');
      }
    }
    logger.info({ thumbprint: pfx.thumbprint, archived: replaced, removed }, 'imported into the certificate store');
    return {
      changed: true,
      detail: `imported ${pfx.thumbprint} (serial ${pfx.serial}) into ${storeLabel} as "${config.friendly_name}"${replaced.length ? `; archived ${replaced.join(', ')}` : ''}${removed.length ? `; removed expired ${removed.join(', ')}` : ''}`,
      metadata: { thumbprint: pfx.thumbprint },
    };
  }

  return {
    deploy: (request) => serialized(() => deploy(request)),

    async validateDeployment(request) {
      const certificates = await list(request.signal ?? ctx.signal);
      const mine = certificates.filter((c) => c.friendlyName === config.friendly_name && !c.archived);
      const match = mine.find((c) => sameSerial(c.serial, request.serial) && c.hasPrivateKey);
      return {
        valid: Boolean(match),
        observedSerial: (match ?? mine[0])?.serial.toLowerCase(),
        detail: match
          ? `${storeLabel} holds ${match.thumbprint} as "${config.friendly_name}" with its private key`
          : `${storeLabel} holds no active "${config.friendly_name}" certificate with serial ${request.serial}`,
      };
    },

    async dryRun(request) {
      const material = prepareTlsMaterial(request, CONNECTOR);
      const pfx = buildWindowsPfx(material, config.friendly_name);
      const active = (await list(request.signal ?? ctx.signal)).filter(
        (c) => c.friendlyName === config.friendly_name && !c.archived,
      );
      if (active.length === 1 && active[0]!.thumbprint === pfx.thumbprint) {
        return { steps: [`keep ${pfx.thumbprint} in ${storeLabel}: already deployed`] };
      }
      return {
        steps: [
          `import ${pfx.thumbprint} (serial ${pfx.serial}) into ${storeLabel} with friendly name "${config.friendly_name}" (${config.mode})`,
          ...active.map((c) => `archive ${c.thumbprint}`),
          `read ${storeLabel} back; on a mismatch unarchive the previous certificate and remove the new one`,
          ...(config.remove_expired ? [`remove expired certificates for CN=${pfx.commonName}`] : []),
        ],
      };
    },

    async testConnection(options) {
      const certificates = await list(options?.signal ?? ctx.signal);
      return {
        ok: true,
        detail: `PowerShell (${config.mode}) read ${storeLabel}: ${certificates.length} certificate(s)`,
      };
    },

    async stop() {
      const opened = shell;
      shell = undefined;
      await (await opened)?.close();
    },
  };
}
