import {
  createWindowsStoreSession,
  deployToWindowsStore,
  execDeadlineMs,
  sameSerialHex,
  type StoreCertificate,
} from '@certctl/connector-utils';
import type { ConnectorContext, DeployRequest, DeployResult, TargetInstance } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import type { WinCertStoreTargetConfig } from './wincertstore-config.js';

export type WinCertStoreTarget = Required<Pick<TargetInstance, 'dryRun' | 'testConnection' | 'stop'>> & TargetInstance;

/**
 * A Windows certificate store as a deploy target. The certificate this target manages carries
 * `friendly_name`; a deploy imports the new one (PFX in memory, key persisted in the store), then
 * archives the one it replaces (hidden from applications, still there), then reads the store back.
 * On any failure the replaced certificate is unarchived and the new one removed if it was not
 * there before. With `remove_expired`, expired certificates of the same common name go afterwards.
 */
export function createWinCertStoreTarget(config: WinCertStoreTargetConfig, ctx: ConnectorContext): WinCertStoreTarget {
  const logger = ctx.logger.child({
    connector: CONNECTOR,
    store: `${config.store_location}\\${config.store_name}`,
    mode: config.mode,
  });
  const session = createWindowsStoreSession({
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
    timeoutMs: execDeadlineMs(config.exec_deadline),
    store: { storeLocation: config.store_location, storeName: config.store_name },
    ctx,
    logger,
  });
  const storeLabel = session.storeLabel;
  const activeOf = (certificates: StoreCertificate[]) =>
    certificates.filter((c) => c.friendlyName === config.friendly_name && !c.archived);

  async function deploy(request: DeployRequest): Promise<DeployResult> {
    const signal = request.signal ?? ctx.signal;
    const outcome = await deployToWindowsStore<{ replaced: string[] }>(session, {
      connector: CONNECTOR,
      ctx,
      logger,
      request,
      signal,
      friendlyName: config.friendly_name,
      steps: {
        async inspect(pfx, signal) {
          const certificates = await session.list(signal);
          const active = activeOf(certificates);
          const replaced = active.filter((c) => c.thumbprint !== pfx.thumbprint).map((c) => c.thumbprint);
          const inPlace = active.length === 1 && active[0]!.thumbprint === pfx.thumbprint && active[0]!.hasPrivateKey;
          return {
            state: { replaced },
            certificates,
            ...(inPlace && { inPlace: `${storeLabel} already holds ${pfx.thumbprint} as "${config.friendly_name}"` }),
          };
        },
        async activate(_pfx, { replaced }, signal) {
          if (replaced.length)
            await session.store('CertStore.SetArchived', { Thumbprints: replaced, Archived: true }, signal);
        },
        async check(pfx, { replaced }, signal) {
          const after = await session.list(signal);
          const mine = after.find((c) => c.thumbprint === pfx.thumbprint);
          if (
            mine &&
            !mine.archived &&
            mine.hasPrivateKey &&
            !after.some((c) => replaced.includes(c.thumbprint) && !c.archived)
          ) {
            return undefined;
          }
          return `${storeLabel} does not show ${pfx.thumbprint} active with its private key after the import`;
        },
        async restore({ replaced }, done, signal) {
          if (!replaced.length) return;
          await session.store('CertStore.SetArchived', { Thumbprints: replaced, Archived: false }, signal);
          done.push(`unarchived ${replaced.join(', ')}`);
        },
      },
    });
    if (!outcome.changed) return { changed: false, detail: outcome.detail };
    const { pfx, state } = outcome;
    const { replaced } = state;
    let removed: string[] = [];
    if (config.remove_expired && pfx.commonName) {
      try {
        removed =
          (
            await session.store<{ removed: string[] | null }>(
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
    deploy,

    async validateDeployment(request) {
      const certificates = await session.list(request.signal ?? ctx.signal);
      const mine = activeOf(certificates);
      const match = mine.find((c) => sameSerialHex(c.serial, request.serial) && c.hasPrivateKey);
      return {
        valid: Boolean(match),
        observedSerial: (match ?? mine[0])?.serial.toLowerCase(),
        detail: match
          ? `${storeLabel} holds ${match.thumbprint} as "${config.friendly_name}" with its private key`
          : `${storeLabel} holds no active "${config.friendly_name}" certificate with serial ${request.serial}`,
      };
    },

    async dryRun(request) {
      const pfx = session.pfxFor(request, config.friendly_name);
      const active = activeOf(await session.list(request.signal ?? ctx.signal));
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
      const certificates = await session.list(options?.signal ?? ctx.signal);
      return {
        ok: true,
        detail: `PowerShell (${config.mode}) read ${storeLabel}: ${certificates.length} certificate(s)`,
      };
    },

    stop: () => session.close(),
  };
}
