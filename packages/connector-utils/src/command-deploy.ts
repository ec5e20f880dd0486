import type { Exec } from '@certctl/core';
import { type DeployFilesOptions, type DeployFilesResult, deployFiles } from './atomic-deploy.js';
import type { OperatorCommand } from './operator-command-step.js';

export interface DeployFilesWithCommandsOptions extends Omit<DeployFilesOptions, 'validate' | 'reload'> {
  exec: Exec;
  /** Checks made in this process before the validate command, e.g. that a written JSON file parses. */
  check?: () => Promise<void>;
  /** Checks the service's config with the new files in place (`nginx -t`); from `createOperatorCommand`. */
  validateCommand?: OperatorCommand;
  /** Makes the service load the new files (`systemctl reload nginx`); from `createOperatorCommand`. */
  reloadCommand?: OperatorCommand;
  /** The service's name for the steps, e.g. `Postfix`: `reload_command "postfix reload" reloaded Postfix`. */
  service?: string;
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
  const { exec, check, validateCommand, reloadCommand, service, ...deployOptions } = options;
  const steps: string[] = [];
  // The success twin of the command's error text (`validate_command "nginx -t" exited with 1: ...`).
  const run = (command: OperatorCommand, outcome: string) => async () => {
    await command.run(exec, options.signal);
    steps.push(`${command.field} "${command.text}" ${outcome}`);
  };
  const validateWithCommand = validateCommand ? run(validateCommand, 'passed') : undefined;
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
    reload: reloadCommand ? run(reloadCommand, service ? `reloaded ${service}` : 'passed') : undefined,
  });
  const skipped = service ? `${service} not reloaded` : 'no command run';
  return {
    ...result,
    steps: result.changed
      ? [`wrote ${result.files.join(', ')}`, ...steps]
      : [`unchanged: ${result.files.join(', ')} already hold these bytes; nothing written, ${skipped}`],
  };
}

/** The steps `deployFilesWithCommands` would take, for a target's `dryRun`. */
export function describeCommandDeploy(options: {
  files: readonly { path: string; mode?: number; kind?: 'certificate' | 'private-key' }[];
  validateCommand?: Pick<OperatorCommand, 'field' | 'text'>;
  reloadCommand?: Pick<OperatorCommand, 'field' | 'text'>;
  /** The endpoint checked after the reload (`post_deploy_verify`). */
  verify?: { host: string; port: number };
}): string[] {
  const steps = options.files.map(
    (file) =>
      `write ${file.path} (mode ${(file.mode ?? (file.kind === 'certificate' ? 0o644 : 0o600)).toString(8).padStart(4, '0')} if new; an existing file keeps its mode and owner)`,
  );
  if (options.validateCommand) steps.push(`run ${options.validateCommand.field}: ${options.validateCommand.text}`);
  if (options.reloadCommand) steps.push(`run ${options.reloadCommand.field}: ${options.reloadCommand.text}`);
  if (options.verify) {
    steps.push(`check that ${options.verify.host}:${options.verify.port} presents the deployed certificate`);
  }
  steps.push('on any failure: restore the previous files and run the reload command again');
  return steps;
}
