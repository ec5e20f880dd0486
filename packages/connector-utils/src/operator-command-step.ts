import { ConnectorError, type ConnectorLogger, DeadlineExceededError, type Exec, type ExecResult } from '@certctl/core';
import { parseOperatorCommand } from './operator-command.js';

export interface OperatorCommandOptions {
  /** Config key the command came from (`reload_command`), for errors and logs. */
  field: string;
  connector?: string;
  /** Deadline of one run; default 60 s. */
  timeoutMs?: number;
  logger?: ConnectorLogger;
}

export interface OperatorCommand {
  /** The argv the command runs as (no shell). */
  readonly argv: readonly string[];
  /** The command as the operator wrote it, for logs and dry runs. */
  readonly text: string;
  /** Config key it came from, e.g. `validate_command`. */
  readonly field: string;
  /**
   * Runs it; resolves on exit code 0. A non-zero exit or a signal is a ConnectorError naming the field,
   * the command and its output (capped); an overrun is a DeadlineExceededError.
   */
  run(exec: Exec, signal?: AbortSignal): Promise<void>;
}

/** Most of what a failing `nginx -t` says fits here; the rest is in the logs of the service. */
const OUTPUT_LIMIT = 2_000;

function describeOutput(result: ExecResult): string {
  const text = [result.stderr.trim(), result.stdout.trim()]
    .filter(Boolean)
    .join(' | ')
    .replace(/\s*\n\s*/g, ' / ');
  return text.length > OUTPUT_LIMIT ? `${text.slice(0, OUTPUT_LIMIT)}…` : text;
}

/**
 * An operator-configured command (`nginx -t`, `systemctl reload nginx`), parsed once into argv (shell
 * metacharacters refused with a ConfigValidationError naming `field`) and run through `ctx.exec`.
 * The one runner every target's validate and reload commands go through.
 */
export function createOperatorCommand(text: string, options: OperatorCommandOptions): OperatorCommand {
  const argv = parseOperatorCommand(text, { field: options.field, connector: options.connector });
  const [program, ...args] = argv as [string, ...string[]];
  const timeoutMs = options.timeoutMs ?? 60_000;
  const { field, connector } = options;
  return {
    argv,
    text,
    field,
    async run(exec, signal) {
      const result = await exec(program, args, { timeoutMs, signal });
      options.logger?.debug({ field, command: text, exitCode: result.exitCode }, 'operator command ran');
      if (result.timedOut) {
        throw new DeadlineExceededError({
          connector,
          message: `${field} "${text}" did not finish within ${timeoutMs} ms and was killed`,
        });
      }
      if (result.exitCode !== 0) {
        const status =
          result.exitCode === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited with ${result.exitCode}`;
        const output = describeOutput(result);
        throw new ConnectorError({
          connector,
          message: `${field} "${text}" ${status}${output ? `: ${output}` : ' and printed nothing'}`,
        });
      }
    },
  };
}
