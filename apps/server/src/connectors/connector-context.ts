import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectorContext, ConnectorEnvironment, ConnectorLogger, ConnectorMetrics, ConnectorSecretStore, Exec } from '@certctl/core';

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** argv only, no shell, bounded time and output; the parent's environment is not inherited. */
const exec: Exec = (command, args, options = {}) =>
  new Promise((resolve) => {
    const child = execFile(
      command,
      [...args],
      {
        timeout: options.timeoutMs ?? 60_000,
        cwd: options.cwd,
        env: options.env ?? {},
        maxBuffer: options.maxOutputBytes ?? 4 * 1024 * 1024,
        signal: options.signal,
        encoding: 'utf8',
      },
      (error, stdout, stderr) => {
        const failure = error as (NodeJS.ErrnoException & { killed?: boolean; signal?: string; code?: number | string }) | null;
        resolve({
          exitCode: failure ? (typeof failure.code === 'number' ? failure.code : null) : 0,
          signal: failure?.signal ?? null,
          stdout,
          stderr,
          timedOut: Boolean(failure?.killed),
          truncated: failure?.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER',
        });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
  });

export interface ServerContextOptions {
  logger: ConnectorLogger;
  signal: AbortSignal;
  metrics: ConnectorMetrics;
  secrets: ConnectorSecretStore;
  environment: ConnectorEnvironment;
}

/**
 * The outside world the server hands a connector. Deadlines come from the registry's runtime
 * wrapper; the fetch is the platform's (the SSRF-guarded fetch of connector-utils slots in here).
 */
export async function createServerConnectorContext(options: ServerContextOptions): Promise<ConnectorContext> {
  return {
    logger: options.logger,
    fetch: globalThis.fetch,
    clock: { now: () => new Date(), sleep },
    signal: options.signal,
    exec,
    tmpDir: await mkdtemp(join(tmpdir(), 'certctl-connector-')),
    metrics: options.metrics,
    secrets: options.secrets,
    environment: options.environment,
  };
}
