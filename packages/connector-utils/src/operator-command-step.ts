import { ConnectorError, DeadlineExceededError, type Exec } from '@certctl/core';
import { parseOperatorCommand } from './operator-command.js';

export interface OperatorCommandOptions {
  /** Config key the command came from (`reload_command`), for errors. */
  field: string;
  connector?: string;
  /** Deadline of one run; default 60 s. */
  timeoutMs?: number;
}

export interface OperatorCommand {
  /** The argv the command runs as (no shell). */
  readonly argv: readonly string[];
  /** The command as the operator wrote it, for logs and dry runs. */
  readonly text: string;
  /** Runs it; resolves on exit code 0, otherwise throws a ConnectorError with the exit code and the output's tail. */
  run(exec: Exec, signal?: AbortSignal): Promise<void>;
}

const OUTPUT_TAIL = 600;

/**
 * An operator-configured command (`postfix check`, `systemctl reload nginx`), parsed once into argv
 * (shell metacharacters refused with a ConfigValidationError) and run through `ctx.exec`.
 */
export function createOperatorCommand(text: string, options: OperatorCommandOptions): OperatorCommand {
  const argv = parseOperatorCommand(text, { field: options.field, connector: options.connector });
  const [program, ...args] = argv as [string, ...string[]];
  return {
    argv,
    text,
    async run(exec, signal) {
      const result = await exec(program, args, { timeoutMs: options.timeoutMs ?? 60_000, signal });
      if (result.timedOut) {
        throw new DeadlineExceededError({
          connector: options.connector,
          message: `${options.field} "${text}" did not finish within ${Math.round((options.timeoutMs ?? 60_000) / 1000)} s and was killed`,
        });
      }
      if (result.exitCode !== 0) {
        const output = `${result.stderr}\n${result.stdout}`.trim();
        const tail = output.length > OUTPUT_TAIL ? `…${output.slice(-OUTPUT_TAIL)}` : output;
        throw new ConnectorError({
          connector: options.connector,
          message: `${options.field} "${text}" ${result.exitCode === null ? `was killed by ${result.signal}` : `exited with code ${result.exitCode}`}${tail ? `: ${tail}` : ' (no output)'}`,
        });
      }
    },
  };
}
