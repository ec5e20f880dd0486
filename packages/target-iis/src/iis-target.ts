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
import type { IisTargetConfig } from './iis-config.js';
import { type IisBindingAddress, type IisOperation, iisScript } from './iis-scripts.js';

export type IisTarget = Required<Pick<TargetInstance, 'dryRun' | 'testConnection' | 'stop'>> & TargetInstance;

interface BindingState {
  exists: boolean;
  thumbprint: string | null;
  storeName: string | null;
  sslFlags: number;
}

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
  const store = { storeLocation: 'LocalMachine', storeName: config.cert_store } as const;
  const timeoutMs = execDeadlineMs(config.exec_deadline);
  const friendlyName = `certctl ${config.site_name} ${address.ipAddress}:${address.port}:${address.hostHeader}`.slice(
    0,
    256,
  );
  const logger = ctx.logger.child({ connector: CONNECTOR, site: config.site_name, mode: config.mode });
  let shell: ReturnType<typeof createWindowsPowerShell> | undefined;
  const powershell = () => {
    shell ??= createWindowsPowerShell({
      connector: CONNECTOR,
      mode: config.mode,
      winrm: config.mode === 'winrm' ? config.winrm : undefined,
      ctx,
      timeoutMs,
      requestTimeoutMs: (config.winrm?.winrm_timeout ?? 60) * 1000,
    });
    return shell;
  };
  const runScript = async <T>(operation: string, script: string, signal?: AbortSignal) =>
    runWindowsOperation<T>(await powershell(), script, {
      connector: CONNECTOR,
      operation,
      timeoutMs,
      signal,
      advice: windowsAdvice,
    });
  const iis = <T>(
    operation: IisOperation,
    parameters: Record<string, string | boolean | null> = {},
    signal?: AbortSignal,
  ) => runScript<T>(`${operation} (${label})`, iisScript(operation, address, parameters), signal);
  const certs = <T>(
    operation: CertStoreOperation,
    parameters: Record<string, string | boolean | null | readonly string[]>,
    signal?: AbortSignal,
  ) =>
    runScript<T>(
      `${operation} (LocalMachine\\${config.cert_store})`,
      certStoreScript(operation, store, parameters),
      signal,
    );
  const bindingState = (signal?: AbortSignal) => iis<BindingState>('Iis.GetBinding', {}, signal);
  const bind = (thumbprint: string, storeName: string, sni: boolean, signal?: AbortSignal) =>
    iis<{ created: boolean }>('Iis.SetBinding', { Thumbprint: thumbprint, StoreName: storeName, Sni: sni }, signal);
  let queue: Promise<unknown> = Promise.resolve();
  const serialized = <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };

  const failed = (error: unknown, outcome: string): ConnectorError => {
    const message = `${(error as Error).message.replace(/^\[certctl\] \[target-iis\] /, '')}; ${outcome}`;
    if (AuthenticationError.isInstance(error)) return new AuthenticationError({ connector: CONNECTOR, message });
    return new VendorApiError({
      connector: CONNECTOR,
      retryable: ConnectorError.isInstance(error) ? error.retryable : false,
      message,
    });
  };

  /** Rebinds the previous thumbprint (or removes a binding this deploy created) and removes a certificate it added. */
  async function rollback(
    before: BindingState,
    thumbprint: string,
    certificateWasThere: boolean,
    signal?: AbortSignal,
  ) {
    const done: string[] = [];
    try {
      if (before.exists && before.thumbprint) {
        await bind(before.thumbprint, before.storeName ?? config.cert_store, (before.sslFlags & 1) === 1, signal);
        done.push(`rebound ${before.thumbprint}`);
      } else if (!before.exists) {
        await iis('Iis.RemoveBinding', {}, signal);
        done.push('removed the binding this deploy created');
      }
      if (!certificateWasThere) {
        await certs('CertStore.Remove', { Thumbprints: [thumbprint] }, signal);
        done.push(`removed ${thumbprint}`);
      }
      ctx.metrics.increment('deploy_rollback_total', { target_type: 'iis', outcome: 'restored' });
      logger.warn({ previous: before.thumbprint }, 'restored the IIS binding');
      return `restored: ${done.join('; ') || 'nothing had changed'}`;
    } catch (error) {
      ctx.metrics.increment('deploy_rollback_total', { target_type: 'iis', outcome: 'also_failed' });
      return `${done.length ? `${done.join('; ')}, but ` : ''}restoring failed too: ${(error as Error).message.replace(/^\[certctl\] \[target-iis\] /, '')}`;
    }
  }

  async function deploy(request: DeployRequest): Promise<DeployResult> {
    const material = prepareTlsMaterial(request, CONNECTOR);
    const pfx = buildWindowsPfx(material, friendlyName);
    const signal = request.signal ?? ctx.signal;
    const before = await bindingState(signal);
    if (
      before.exists &&
      before.thumbprint?.toUpperCase() === pfx.thumbprint &&
      (before.storeName ?? '').toLowerCase() === config.cert_store.toLowerCase() &&
      (before.sslFlags & 1) === (config.sni ? 1 : 0)
    ) {
      return { changed: false, detail: `${label} is already bound to ${pfx.thumbprint}` };
    }
    const inStore = await certs<{ certificates: StoreCertificate[] | null }>('CertStore.List', {}, signal);
    const certificateWasThere = (inStore.certificates ?? []).some((c) => c.thumbprint === pfx.thumbprint);
    try {
      await certs(
        'CertStore.Import',
        {
          PfxBase64: pfx.pfxBase64,
          PfxPassword: pfx.password,
          Thumbprint: pfx.thumbprint,
          FriendlyName: friendlyName,
        },
        signal,
      );
      await bind(pfx.thumbprint, config.cert_store, config.sni, signal);
      const after = await bindingState(signal);
      if (!after.exists || after.thumbprint?.toUpperCase() !== pfx.thumbprint) {
        throw new VendorApiError({
          connector: CONNECTOR,
          retryable: true,
          message: `${label} shows ${after.thumbprint ?? 'no certificate'} after binding ${pfx.thumbprint}`,
        });
      }
    } catch (error) {
      throw failed(error, await rollback(before, pfx.thumbprint, certificateWasThere, signal));
    }
    logger.info({ thumbprint: pfx.thumbprint, previous: before.thumbprint }, 'bound the new certificate');
    return {
      changed: true,
      detail: `imported ${pfx.thumbprint} (serial ${pfx.serial}) into LocalMachine\\${config.cert_store} and bound it to ${label}${before.thumbprint ? ` (was ${before.thumbprint})` : ' (new binding)'}`,
      metadata: { thumbprint: pfx.thumbprint },
    };
  }

  return {
    deploy: (request) => serialized(() => deploy(request)),

    async validateDeployment(request) {
      const signal = request.signal ?? ctx.signal;
      const state = await bindingState(signal);
      if (!state.exists || !state.thumbprint) return { valid: false, detail: `${label} has no certificate bound` };
      const list = await certs<{ certificates: StoreCertificate[] | null }>('CertStore.List', {}, signal);
      const bound = (list.certificates ?? []).find((c) => c.thumbprint === state.thumbprint?.toUpperCase());
      const valid = Boolean(bound?.hasPrivateKey && sameSerial(bound.serial, request.serial));
      return {
        valid,
        observedSerial: bound?.serial.toLowerCase(),
        detail: bound
          ? `${label} is bound to ${bound.thumbprint} (serial ${bound.serial})`
          : `${label} is bound to ${state.thumbprint}, which is not in LocalMachine\\${config.cert_store}`,
      };
    },

    async dryRun(request) {
      const material = prepareTlsMaterial(request, CONNECTOR);
      const pfx = buildWindowsPfx(material, friendlyName);
      const state = await bindingState(request.signal ?? ctx.signal);
      if (state.exists && state.thumbprint?.toUpperCase() === pfx.thumbprint) {
        return { steps: [`keep ${label}: already bound to ${pfx.thumbprint}`] };
      }
      return {
        steps: [
          `import ${pfx.thumbprint} (serial ${pfx.serial}) into LocalMachine\\${config.cert_store} (${config.mode})`,
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

    async stop() {
      const opened = shell;
      shell = undefined;
      await (await opened)?.close();
    },
  };
}
