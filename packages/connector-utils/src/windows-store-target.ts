/**
 * The deploy flow the Windows targets share (IIS bindings, a certificate store): one PowerShell
 * session opened on first use, one deploy at a time, the PFX imported into the store, the target's
 * own step making it the certificate in use, a read-back, and on any failure the target's step
 * undone and the imported certificate removed (or archived again) so the store is as it was.
 */
import { type ConnectorContext, type ConnectorLogger, type DeployRequest, VendorApiError } from '@certctl/core';
import { deployFailedError, withoutConnectorPrefix } from './deploy-failure.js';
import type { PowerShellValue } from './powershell-script.js';
import { createSerialQueue } from './serial-queue.js';
import { prepareTlsMaterial } from './tls-material.js';
import {
  buildWindowsPfx,
  type CertStoreLocation,
  type CertStoreOperation,
  certStoreScript,
  createWindowsPowerShell,
  runWindowsOperation,
  type StoreCertificate,
  type WindowsPfx,
  type WinRmSettings,
  windowsAdvice,
} from './windows-host.js';

export interface WindowsStoreSessionOptions {
  /** Connector id, e.g. `target-iis`; its suffix is the `target_type` of the rollback metric. */
  connector: string;
  mode: 'local' | 'winrm';
  winrm: WinRmSettings | undefined;
  /** Deadline of one PowerShell operation. */
  timeoutMs: number;
  /** Deadline of each WinRM request; default timeoutMs. */
  requestTimeoutMs?: number;
  /** The store the certificate goes into. */
  store: CertStoreLocation;
  ctx: Pick<ConnectorContext, 'exec' | 'metrics'>;
  logger: ConnectorLogger;
}

export interface WindowsStoreSession {
  /** `LocalMachine\My`. */
  readonly storeLabel: string;
  /** Runs one generated script; a failure is a typed error naming `operation` and the usual Windows advice. */
  run<T>(operation: string, script: string, signal?: AbortSignal): Promise<T>;
  /** Runs one certificate store operation on the session's store. */
  store<T>(
    operation: CertStoreOperation,
    parameters: Record<string, PowerShellValue>,
    signal?: AbortSignal,
  ): Promise<T>;
  /** The store's certificates. */
  list(signal?: AbortSignal): Promise<StoreCertificate[]>;
  /** The request's certificate and key as the PFX Windows imports. */
  pfxFor(request: DeployRequest, friendlyName: string): WindowsPfx;
  /** Runs `work` after every earlier call has finished. */
  serialized<T>(work: () => Promise<T>): Promise<T>;
  /** Closes the WinRM client, if one was opened; the next call opens a new one. */
  close(): Promise<void>;
}

export function createWindowsStoreSession(options: WindowsStoreSessionOptions): WindowsStoreSession {
  const { connector, timeoutMs } = options;
  let shell: ReturnType<typeof createWindowsPowerShell> | undefined;
  const powershell = () => {
    shell ??= createWindowsPowerShell({
      connector,
      mode: options.mode,
      winrm: options.mode === 'winrm' ? options.winrm : undefined,
      ctx: options.ctx,
      timeoutMs,
      ...(options.requestTimeoutMs !== undefined && { requestTimeoutMs: options.requestTimeoutMs }),
    });
    return shell;
  };
  const storeLabel = `${options.store.storeLocation}\\${options.store.storeName}`;
  const run = async <T>(operation: string, script: string, signal?: AbortSignal) =>
    runWindowsOperation<T>(await powershell(), script, {
      connector,
      operation,
      timeoutMs,
      signal,
      advice: windowsAdvice,
    });
  const store = <T>(operation: CertStoreOperation, parameters: Record<string, PowerShellValue>, signal?: AbortSignal) =>
    run<T>(`${operation} (${storeLabel})`, certStoreScript(operation, options.store, parameters), signal);
  return {
    storeLabel,
    run,
    store,
    async list(signal) {
      return (
        (await store<{ certificates: StoreCertificate[] | null }>('CertStore.List', {}, signal)).certificates ?? []
      );
    },
    pfxFor: (request, friendlyName) => buildWindowsPfx(prepareTlsMaterial(request, connector), friendlyName),
    serialized: createSerialQueue(),
    async close() {
      const opened = shell;
      shell = undefined;
      await (await opened)?.close();
    },
  };
}

/** What one Windows target does around the shared import; `S` is what it read before the deploy. */
export interface WindowsStoreDeploySteps<S> {
  /** Reads the state before the deploy; `inPlace` says why nothing needs doing (the same certificate is in use). */
  inspect(
    pfx: WindowsPfx,
    signal: AbortSignal,
  ): Promise<{ state: S; inPlace?: string; certificates?: StoreCertificate[] }>;
  /** After the import: makes the new certificate the one in use (binds it, archives what it replaces). */
  activate(pfx: WindowsPfx, state: S, signal: AbortSignal): Promise<void>;
  /** Reads back; what is wrong, or undefined when the new certificate is in use as it should be. */
  check(pfx: WindowsPfx, state: S, signal: AbortSignal): Promise<string | undefined>;
  /** Undoes `activate` (before the new certificate is taken out of the store), noting each step done. */
  restore(state: S, done: string[], signal: AbortSignal): Promise<void>;
}

export type WindowsStoreDeployOutcome<S> =
  | { changed: false; pfx: WindowsPfx; detail: string }
  | { changed: true; pfx: WindowsPfx; state: S };

/**
 * One deploy, serialized with the session's other deploys: inspect, import the PFX, activate, check;
 * on any failure restore, remove the imported certificate if the store did not hold it (archive it
 * again if it was archived), count `deploy_rollback_total`, and throw an error that says both what
 * failed and how the restore went.
 */
export function deployToWindowsStore<S>(
  session: WindowsStoreSession,
  options: Pick<WindowsStoreSessionOptions, 'connector' | 'ctx' | 'logger'> & {
    request: DeployRequest;
    signal: AbortSignal;
    friendlyName: string;
    steps: WindowsStoreDeploySteps<S>;
  },
): Promise<WindowsStoreDeployOutcome<S>> {
  const { connector, steps, signal } = options;
  const targetType = connector.replace(/^target-/, '');

  const restore = async (state: S, pfx: WindowsPfx, existing: StoreCertificate | undefined): Promise<string> => {
    const done: string[] = [];
    try {
      await steps.restore(state, done, signal);
      if (!existing) {
        await session.store('CertStore.Remove', { Thumbprints: [pfx.thumbprint] }, signal);
        done.push(`removed ${pfx.thumbprint}`);
      } else if (existing.archived) {
        await session.store('CertStore.SetArchived', { Thumbprints: [pfx.thumbprint], Archived: true }, signal);
        done.push(`archived ${pfx.thumbprint} again`);
      }
      options.ctx.metrics.increment('deploy_rollback_total', { target_type: targetType, outcome: 'restored' });
      options.logger.warn({ thumbprint: pfx.thumbprint, restored: done }, `restored ${session.storeLabel}`);
      return `restored: ${done.join('; ') || 'nothing had changed'}`;
    } catch (error) {
      options.ctx.metrics.increment('deploy_rollback_total', { target_type: targetType, outcome: 'also_failed' });
      return `${done.length ? `${done.join('; ')}, but ` : ''}restoring failed too: ${withoutConnectorPrefix(error)}`;
    }
  };

  return session.serialized(async () => {
    const pfx = session.pfxFor(options.request, options.friendlyName);
    const { state, inPlace, certificates } = await steps.inspect(pfx, signal);
    if (inPlace) return { changed: false, pfx, detail: inPlace };
    const existing = (certificates ?? (await session.list(signal))).find((c) => c.thumbprint === pfx.thumbprint);
    try {
      await session.store(
        'CertStore.Import',
        {
          PfxBase64: pfx.pfxBase64,
          PfxPassword: pfx.password,
          Thumbprint: pfx.thumbprint,
          FriendlyName: options.friendlyName,
        },
        signal,
      );
      await steps.activate(pfx, state, signal);
      const wrong = await steps.check(pfx, state, signal);
      if (wrong) throw new VendorApiError({ connector, retryable: true, message: wrong });
    } catch (error) {
      throw deployFailedError(connector, error, await restore(state, pfx, existing));
    }
    return { changed: true, pfx, state };
  });
}

/** Whether two serials in hex (any case, colons or spaces, leading zeros) are the same number. */
export function sameSerialHex(a: string, b: string): boolean {
  const canonical = (serial: string) =>
    serial
      .toLowerCase()
      .replace(/[^0-9a-f]/g, '')
      .replace(/^0+(?=.)/, '');
  return canonical(a) === canonical(b);
}
