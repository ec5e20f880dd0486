import { ConnectorError, type ConnectorLogger, DeadlineExceededError, type Exec, type ExecResult } from '@certctl/core';
import { type DeployFilesOptions, type DeployFilesResult, deployFiles } from './atomic-deploy.js';

export type DeployCommandPhase = 'validate' | 'reload';

export interface RunDeployCommandOptions {
  phase: DeployCommandPhase;
  connector?: string;
  signal?: AbortSignal;
  /** Deadline of the command; default 60 s. */
  timeoutMs?: number;
  logger?: ConnectorLogger;
}

/** Most of what a failing `nginx -t` says fits here; the rest is in the logs of the service. */
const OUTPUT_LIMIT = 2_000;

/**
 * Runs one operator command (argv from `parseOperatorCommand`) during a deploy. A non-zero exit, a
 * signal or a timeout is a ConnectorError whose message names the command and carries its output,
 * so the operator sees why `nginx -t` refused the config.
 */
export async function runDeployCommand(
  exec: Exec,
  argv: readonly string[],
  options: RunDeployCommandOptions,
): Promise<ExecResult> {
  const [command, ...args] = argv;
  if (!command)
    throw new ConnectorError({ connector: options.connector, message: `${options.phase} command is empty` });
  const label = argv.join(' ');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const result = await exec(command, args, { timeoutMs, signal: options.signal });
  options.logger?.debug({ phase: options.phase, command: label, exitCode: result.exitCode }, 'deploy command ran');
  if (result.timedOut) {
    throw new DeadlineExceededError({
      connector: options.connector,
      message: `${options.phase} command "${label}" did not finish within ${timeoutMs} ms and was killed`,
    });
  }
  if (result.exitCode !== 0) {
    const status =
      result.exitCode === null ? `was killed by ${result.signal ?? 'a signal'}` : `exited with ${result.exitCode}`;
    const output = describeOutput(result);
    throw new ConnectorError({
      connector: options.connector,
      message: `${options.phase} command "${label}" ${status}${output ? `: ${output}` : ' and printed nothing'}`,
    });
  }
  return result;
}

function describeOutput(result: ExecResult): string {
  const text = [result.stderr.trim(), result.stdout.trim()]
    .filter(Boolean)
    .join(' | ')
    .replace(/\s*\n\s*/g, ' / ');
  return text.length > OUTPUT_LIMIT ? `${text.slice(0, OUTPUT_LIMIT)}…` : text;
}

export interface DeployFilesWithCommandsOptions extends Omit<DeployFilesOptions, 'validate' | 'reload'> {
  exec: Exec;
  /** Checks made in this process before the validate command, e.g. that a written JSON file parses. */
  check?: () => Promise<void>;
  /** argv of the command that checks the service's config with the new files in place (`nginx -t`). */
  validateCommand?: readonly string[];
  /** argv of the command that makes the service load the new files (`systemctl reload nginx`). */
  reloadCommand?: readonly string[];
  /** Deadline of each command; default 60 s. */
  commandTimeoutMs?: number;
}

export interface DeployFilesWithCommandsResult extends DeployFilesResult {
  /** What was done, in order, for the job log. */
  steps: string[];
}

/**
 * `deployFiles` for a service configured by files: write the files, run the validate command, run the
 * reload command, and on any failure restore the previous files and run the reload command again.
 * Same bytes as on disk: nothing is written and no command runs.
 */
export async function deployFilesWithCommands(
  options: DeployFilesWithCommandsOptions,
): Promise<DeployFilesWithCommandsResult> {
  const { exec, check, validateCommand, reloadCommand, commandTimeoutMs, ...deployOptions } = options;
  const steps: string[] = [];
  const run = (phase: DeployCommandPhase, argv: readonly string[]) => async () => {
    await runDeployCommand(exec, argv, {
      phase,
      connector: options.connector,
      signal: options.signal,
      timeoutMs: commandTimeoutMs,
      logger: options.logger,
    });
    steps.push(`ran ${phase} command: ${argv.join(' ')}`);
  };
  const validateWithCommand = validateCommand ? run('validate', validateCommand) : undefined;
  const validate =
    check || validateWithCommand
      ? async () => {
          await check?.();
          await validateWithCommand?.();
        }
      : undefined;
  const result = await deployFiles({
    ...deployOptions,
    validate,
    reload: reloadCommand ? run('reload', reloadCommand) : undefined,
  });
  return {
    ...result,
    steps: result.changed
      ? [`wrote ${result.files.join(', ')}`, ...steps]
      : [`unchanged: ${result.files.join(', ')} already hold these bytes`],
  };
}

/** The steps `deployFilesWithCommands` would take, for a target's `dryRun`. */
export function describeCommandDeploy(options: {
  files: readonly { path: string; mode?: number; kind?: 'certificate' | 'private-key' }[];
  validateCommand?: readonly string[];
  reloadCommand?: readonly string[];
}): string[] {
  const steps = options.files.map(
    (file) =>
      `write ${file.path} (mode ${(file.mode ?? (file.kind === 'certificate' ? 0o644 : 0o600)).toString(8).padStart(4, '0')} if new; an existing file keeps its mode and owner)`,
  );
  if (options.validateCommand) steps.push(`run validate command: ${options.validateCommand.join(' ')}`);
  if (options.reloadCommand) steps.push(`run reload command: ${options.reloadCommand.join(' ')}`);
  steps.push('on any failure: restore the previous files and run the reload command again');
  return steps;
}
