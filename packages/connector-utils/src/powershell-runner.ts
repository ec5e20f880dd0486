/** Runs generated PowerShell on the agent's own host or on a Windows host over WinRM, and reads its JSON answer. */
import { type ConnectorError, type Exec, VendorApiError } from '@certctl/core';
import { POWERSHELL_ARGUMENTS, powerShellStdin } from './powershell-script.js';

export interface PowerShellResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface PowerShellRunner {
  /** Where scripts run, for messages: `local` or `winrm https://host:5986/wsman`. */
  readonly where: string;
  run(script: string, options: { signal?: AbortSignal; timeoutMs: number }): Promise<PowerShellResult>;
}

/** powershell.exe (or pwsh) on this host, script on stdin, no shell in between. */
export function createLocalPowerShellRunner(options: {
  exec: Exec;
  executable?: string;
  connector: string;
}): PowerShellRunner {
  const executable = options.executable ?? 'powershell.exe';
  return {
    where: 'local',
    async run(script, { signal, timeoutMs }) {
      const result = await options.exec(executable, POWERSHELL_ARGUMENTS, {
        input: powerShellStdin(script),
        timeoutMs,
        signal,
        maxOutputBytes: 1024 * 1024,
      });
      if (result.timedOut) {
        throw new VendorApiError({
          connector: options.connector,
          retryable: true,
          message: `PowerShell did not finish within ${Math.round(timeoutMs / 1000)} s (exec_deadline): is the certificate store or IIS busy?`,
        });
      }
      return { exitCode: result.exitCode ?? -1, stdout: result.stdout, stderr: result.stderr };
    },
  };
}

/**
 * The last JSON line a script printed (`ConvertTo-Json -Compress`). A failed script prints
 * `{"error": "..."}` and exits 1: that message (PowerShell's, never a value of ours) becomes the error.
 */
export function readPowerShellAnswer<T>(
  result: PowerShellResult,
  context: { connector: string; operation: string; where: string; advice?: (message: string) => string | undefined },
): T {
  const line = result.stdout
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .at(-1);
  let answer: Record<string, unknown> | undefined;
  try {
    answer = line ? (JSON.parse(line) as Record<string, unknown>) : undefined;
  } catch {
    answer = undefined;
  }
  if (result.exitCode === 0 && answer && answer.error === undefined) return answer as T;
  const reason =
    typeof answer?.error === 'string'
      ? answer.error
      : result.stderr.trim().split(/\r?\n/)[0] || `exit code ${result.exitCode} without an answer`;
  const advice = context.advice?.(reason);
  const error: ConnectorError = new VendorApiError({
    connector: context.connector,
    retryable: false,
    message: `${context.operation} on ${context.where} failed: ${reason.slice(0, 500)}${advice ? `: ${advice}` : ''}`,
  });
  throw error;
}
