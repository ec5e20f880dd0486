import {
  createWindowsStoreSession,
  deployToWindowsStore,
  execDeadlineMs,
  sameSerialHex,
} from '@certctl/connector-utils';
import type { ConnectorContext, DeployRequest, DeployResult, TargetInstance } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import type { IisTargetConfig } from './iis-config.js';
import { type IisBindingAddress, type IisOperation, iisScript } from './iis-scripts.js';

export type IisTarget = Required<Pick<TargetInstance, 'dryRun' | 'testConnection' | 'stop'>> & TargetInstance;

interface BindingState {
  exists: boolean;
  thumbprint: string | null;
  storeName: string | null;
  sslFlags: number;
}

/**
 * An IIS https binding as a deploy target: the certificate is imported into `cert_store`
 * (LocalMachine), the binding (site, IP, port, host header, SNI) is created if missing and pointed
 * at the new thumbprint, then read back. On any failure the binding is rebound to the previous
 * thumbprint (or removed if this deploy created it) and a certificate this deploy added is removed.
 */
export function createIisTarget(config: IisTargetConfig, ctx: ConnectorContext): IisTarget {
  const address: IisBindingAddress = {
    siteName: config.site_name,
    ipAddress: config.ip_address === '' ? '*' : config.ip_address,
    port: config.port,
    hostHeader: config.binding_info ?? '',
  };
  const label = `${config.hostname ?? config.winrm?.winrm_host ?? 'IIS'} site "${config.site_name}" https ${address.ipAddress}:${address.port}:${address.hostHeader}`;
  const friendlyName = `certctl ${config.site_name} ${address.ipAddress}:${address.port}:${address.hostHeader}`.slice(
    0,
    256,
  );
  const logger = ctx.logger.child({ connector: CONNECTOR, site: config.site_name, mode: config.mode });
  const session = createWindowsStoreSession({
    connector: CONNECTOR,
    mode: config.mode,
    winrm: config.winrm,
    timeoutMs: execDeadlineMs(config.exec_deadline),
    requestTimeoutMs: (config.winrm?.winrm_timeout ?? 60) * 1000,
    store: { storeLocation: 'LocalMachine', storeName: config.cert_store },
    ctx,
    logger,
  });
  const iis = <T>(
    operation: IisOperation,
    parameters: Record<string, string | boolean | null> = {},
    signal?: AbortSignal,
  ) => session.run<T>(`${operation} (${label})`, iisScript(operation, address, parameters), signal);
  const bindingState = (signal?: AbortSignal) => iis<BindingState>('Iis.GetBinding', {}, signal);
  const bind = (thumbprint: string, storeName: string, sni: boolean, signal?: AbortSignal) =>
    iis<{ created: boolean }>('Iis.SetBinding', { Thumbprint: thumbprint, StoreName: storeName, Sni: sni }, signal);

  async function deploy(request: DeployRequest): Promise<DeployResult> {
    const outcome = await deployToWindowsStore<BindingState>(session, {
      connector: CONNECTOR,
      ctx,
      logger,
      request,
      signal: request.signal ?? ctx.signal,
      friendlyName,
      steps: {
        async inspect(pfx, signal) {
          const state = await bindingState(signal);
          const inPlace =
            state.exists &&
            state.thumbprint?.toUpperCase() === pfx.thumbprint &&
            (state.storeName ?? '').toLowerCase() === config.cert_store.toLowerCase() &&
            (state.sslFlags & 1) === (config.sni ? 1 : 0);
          return { state, ...(inPlace && { inPlace: `${label} is already bound to ${pfx.thumbprint}` }) };
        },
        activate: async (pfx, _before, signal) =>
          void (await bind(pfx.thumbprint, config.cert_store, config.sni, signal)),
        async check(pfx, _before, signal) {
          const after = await bindingState(signal);
          if (after.exists && after.thumbprint?.toUpperCase() === pfx.thumbprint) return undefined;
          return `${label} shows ${after.thumbprint ?? 'no certificate'} after binding ${pfx.thumbprint}`;
        },
        async restore(before, done, signal) {
          if (before.exists && before.thumbprint) {
            await bind(before.thumbprint, before.storeName ?? config.cert_store, (before.sslFlags & 1) === 1, signal);
            done.push(`rebound ${before.thumbprint}`);
          } else if (!before.exists) {
            await iis('Iis.RemoveBinding', {}, signal);
            done.push('removed the binding this deploy created');
          }
        },
      },
    });
    if (!outcome.changed) return { changed: false, detail: outcome.detail };
    const { pfx, state: before } = outcome;
    logger.info({ thumbprint: pfx.thumbprint, previous: before.thumbprint }, 'bound the new certificate');
    return {
      changed: true,
      detail: `imported ${pfx.thumbprint} (serial ${pfx.serial}) into ${session.storeLabel} and bound it to ${label}${before.thumbprint ? ` (was ${before.thumbprint})` : ' (new binding)'}`,
      metadata: { thumbprint: pfx.thumbprint },
    };
  }

  return {
    deploy,

    async validateDeployment(request) {
      const signal = request.signal ?? ctx.signal;
      const state = await bindingState(signal);
      if (!state.exists || !state.thumbprint) return { valid: false, detail: `${label} has no certificate bound` };
      const bound = (await session.list(signal)).find((c) => c.thumbprint === state.thumbprint?.toUpperCase());
      const valid = Boolean(bound?.hasPrivateKey && sameSerialHex(bound.serial, request.serial));
      return {
        valid,
        observedSerial: bound?.serial.toLowerCase(),
        detail: bound
          ? `${label} is bound to ${bound.thumbprint} (serial ${bound.serial})`
          : `${label} is bound to ${state.thumbprint}, which is not in ${session.storeLabel}`,
      };
    },

    async dryRun(request) {
      const pfx = session.pfxFor(request, friendlyName);
      const state = await bindingState(request.signal ?? ctx.signal);
      if (state.exists && state.thumbprint?.toUpperCase() === pfx.thumbprint) {
        return { steps: [`keep ${label}: already bound to ${pfx.thumbprint}`] };
      }
      return {
        steps: [
          `import ${pfx.thumbprint} (serial ${pfx.serial}) into ${session.storeLabel} (${config.mode})`,
          `${state.exists ? 'rebind' : 'create'} ${label}${config.sni ? ' with SNI' : ''} to ${pfx.thumbprint}`,
          `read the binding back; on a mismatch ${state.thumbprint ? `rebind ${state.thumbprint}` : 'remove the binding'} and remove the new certificate`,
        ],
      };
    },

    async testConnection(options) {
      const state = await bindingState(options?.signal ?? ctx.signal);
      return {
        ok: true,
        detail: `PowerShell (${config.mode}) reached IIS; ${label} ${state.exists ? `is bound to ${state.thumbprint ?? 'no certificate'}` : 'does not exist yet'}`,
      };
    },

    stop: () => session.close(),
  };
}
