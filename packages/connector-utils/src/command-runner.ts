import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import {
  ConnectorError,
  type ConnectorLogger,
  DeadlineExceededError,
  type ExecOptions,
  type ExecResult,
} from '@certctl/core';

export interface CommandRunnerOptions {
  /** Pass the app's own environment to children (merged under the per-call `env`); default false. */
  inheritEnv?: boolean;
  /** PATH given to children when the environment is not inherited. */
  path?: string;
  /** Deadline of a call that sets none; default 60 s. */
  defaultTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL after a deadline; default 2 s. */
  killGraceMs?: number;
  /** Largest stdout/stderr kept per stream; default 1 MiB. */
  maxOutputBytes?: number;
  /** Connector id for error messages. */
  connector?: string;
  logger?: ConnectorLogger;
}

export interface RunCommandOptions extends ExecOptions {
  /**
   * Run `command` as a /bin/sh script (`args` become "$1"...). Only for scripts the operator wrote;
   * never interpolate values into them.
   */
  shell?: boolean;
}

/** Core's `Exec`, plus an explicit `shell` opt-in. */
export type CommandRunner = (
  command: string,
  args: readonly string[],
  options?: RunCommandOptions,
) => Promise<ExecResult>;

const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** Creates an `Exec`: argv only (no shell unless asked), bounded time and output, no inherited environment. */
export function createCommandRunner(runnerOptions: CommandRunnerOptions = {}): CommandRunner {
  const killGraceMs = runnerOptions.killGraceMs ?? 2_000;
  const { connector } = runnerOptions;

  return (command, args, options = {}) =>
    new Promise<ExecResult>((resolve, reject) => {
      const label = options.shell ? 'shell script' : command;
      if (options.signal?.aborted) {
        reject(
          new DeadlineExceededError({
            connector,
            message: `${label} was aborted before it started`,
            cause: options.signal.reason,
          }),
        );
        return;
      }
      const timeoutMs = options.timeoutMs ?? runnerOptions.defaultTimeoutMs ?? 60_000;
      const maxOutputBytes = options.maxOutputBytes ?? runnerOptions.maxOutputBytes ?? 1024 * 1024;
      const env = runnerOptions.inheritEnv
        ? { ...process.env, ...options.env }
        : { PATH: runnerOptions.path ?? DEFAULT_PATH, ...options.env };
      const [file, argv] = options.shell ? ['/bin/sh', ['-c', command, 'sh', ...args]] : [command, [...args]];

      // Its own process group, so a timeout kills whatever the command started too.
      const child = spawn(file, argv, {
        cwd: options.cwd,
        env,
        stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        detached: true,
        shell: false,
        windowsHide: true,
      });

      let settled = false;
      let timedOut = false;
      let aborted = false;
      let killTimer: NodeJS.Timeout | undefined;
      const stdout = capture(child.stdout, maxOutputBytes);
      const stderr = capture(child.stderr, maxOutputBytes);

      const signalGroup = (signal: NodeJS.Signals) => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, signal);
        } catch {
          child.kill(signal);
        }
      };
      const terminate = () => {
        signalGroup('SIGTERM');
        killTimer ??= setTimeout(() => signalGroup('SIGKILL'), killGraceMs);
      };
      const timer = setTimeout(() => {
        timedOut = true;
        terminate();
      }, timeoutMs);
      const onAbort = () => {
        aborted = true;
        terminate();
      };
      options.signal?.addEventListener('abort', onAbort, { once: true });
      const cleanup = () => {
        settled = true;
        clearTimeout(timer);
        if (killTimer) clearTimeout(killTimer);
        options.signal?.removeEventListener('abort', onAbort);
      };

      child.once('error', (error: NodeJS.ErrnoException) => {
        if (settled) return;
        cleanup();
        reject(
          new ConnectorError({
            connector,
            message: `cannot run ${label}: ${error.code ?? error.message}${error.code === 'ENOENT' ? ' (not found on PATH or not executable)' : ''}`,
            cause: error,
          }),
        );
      });
      child.once('close', (exitCode, signal) => {
        if (settled) return;
        cleanup();
        if (aborted) {
          reject(
            new DeadlineExceededError({ connector, message: `${label} was aborted`, cause: options.signal?.reason }),
          );
          return;
        }
        const result: ExecResult = {
          exitCode,
          signal,
          stdout: stdout.text(),
          stdoutBytes: stdout.bytes(),
          stderr: stderr.text(),
          timedOut,
          truncated: stdout.truncated() || stderr.truncated(),
        };
        if (timedOut) runnerOptions.logger?.warn({ command: label, timeoutMs }, 'command timed out and was killed');
        resolve(result);
      });

      if (options.input !== undefined && child.stdin) {
        // A child that exits without reading its input is not our error.
        child.stdin.on('error', () => undefined);
        child.stdin.end(options.input);
      }
    });
}

function capture(
  stream: Readable | null,
  maxBytes: number,
): { text(): string; bytes(): Uint8Array; truncated(): boolean } {
  const chunks: Buffer[] = [];
  let kept = 0;
  let dropped = false;
  stream?.on('data', (chunk: Buffer) => {
    const room = maxBytes - kept;
    if (room <= 0) {
      dropped = true;
      return;
    }
    const piece = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
    if (piece !== chunk) dropped = true;
    chunks.push(piece);
    kept += piece.byteLength;
  });
  return {
    text: () => Buffer.concat(chunks).toString('utf8'),
    bytes: () => new Uint8Array(Buffer.concat(chunks)),
    truncated: () => dropped,
  };
}
