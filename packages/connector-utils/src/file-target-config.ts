/**
 * Config pieces every file target shares (paths, file names, commands, deadlines, the post-deploy
 * check) and the wiring from that config to `createFileTarget`, so a new file target is its data:
 * which files, which commands, and what its reference table says about them.
 */
import { isAbsolute } from 'node:path';
import type { ConnectorContext, TargetInstance } from '@certctl/core';
import { z } from 'zod';
import { createFileTarget, type FileTargetOptions } from './file-target.js';
import { refineOperatorCommand } from './operator-command.js';
import { createOperatorCommand } from './operator-command-step.js';
import { type PostDeployVerifyConfig, postDeployVerifySchema, resolvePostDeployVerify } from './post-deploy-verify.js';

/** An absolute path on the host (no NUL byte). */
export const absolutePath = (description: string) =>
  z
    .string()
    .min(2)
    .max(4096)
    .refine((p) => isAbsolute(p) && !p.includes('\0'), 'must be an absolute path')
    .describe(description);

/** One file name inside a configured directory: letters, digits, `.`, `_`, `-`; not `.` or `..`. */
export const fileName = (description: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,255}$/, 'must be a file name (letters, digits, . _ -), not a path')
    .refine((name) => name !== '.' && name !== '..', 'must be a file name')
    .describe(description);

/**
 * A command run without a shell; what a shell would interpret is refused with the reason.
 * `emptySkips`: an empty string is accepted and means "run nothing" (an optional validate step).
 */
export const operatorCommand = (description: string, options: { emptySkips?: boolean } = {}) =>
  z
    .string()
    .max(1024)
    .superRefine((text, ctx) => {
      if (options.emptySkips && text === '') return;
      refineOperatorCommand(text, ctx);
    })
    .describe(description);

/** `command_timeout_seconds`: the deadline of each validate or reload command. */
export const commandTimeoutSeconds = (description = 'Deadline of each validate or reload command') =>
  z.int().min(1).max(600).default(60).describe(description);

/** A `superRefine` that refuses two path fields naming the same file. */
export function distinctPaths<Field extends string>(fields: readonly Field[]) {
  return (config: Partial<Record<Field, string | undefined>>, ctx: z.RefinementCtx): void => {
    const seen = new Map<string, Field>();
    for (const field of fields) {
      const path = config[field];
      if (path === undefined) continue;
      const other = seen.get(path);
      if (other) ctx.addIssue({ code: 'custom', path: [field], message: `is the same file as ${other}` });
      seen.set(path, field);
    }
  };
}

export interface CommandFieldsSpec<ValidateDefault extends string | undefined> {
  reload: { description: string; default: string };
  /** Without a default the validate command is optional and the deploy goes straight to the reload. */
  validate: { description: string; default: ValidateDefault };
  /** What `post_deploy_verify` checks for this service. */
  verify: string;
}

/** `reload_command`, `validate_command`, `command_timeout_seconds` and `post_deploy_verify`, described for one service. */
export function commandFileTargetFields<ValidateDefault extends string | undefined>(
  spec: CommandFieldsSpec<ValidateDefault>,
) {
  const validate = operatorCommand(spec.validate.description);
  return {
    reload_command: operatorCommand(spec.reload.description).default(spec.reload.default),
    validate_command: (spec.validate.default === undefined
      ? validate.optional()
      : validate.default(spec.validate.default)) as ValidateDefault extends string
      ? z.ZodDefault<z.ZodString>
      : z.ZodOptional<z.ZodString>,
    command_timeout_seconds: commandTimeoutSeconds(),
    post_deploy_verify: postDeployVerifySchema.optional().describe(spec.verify),
  };
}

/** The parsed command fields (see `commandFileTargetFields`). */
export interface CommandFileTargetConfig {
  reload_command: string;
  validate_command?: string;
  command_timeout_seconds: number;
  post_deploy_verify?: PostDeployVerifyConfig;
}

export interface CommandFileTargetOptions
  extends Omit<FileTargetOptions, 'ctx' | 'validateCommand' | 'reloadCommand' | 'verify'> {
  ctx: FileTargetOptions['ctx'] & Pick<ConnectorContext, 'logger'>;
  config: CommandFileTargetConfig;
}

/** A file target whose validate/reload commands and post-deploy check come straight from its config. */
export function createCommandFileTarget(options: CommandFileTargetOptions): TargetInstance {
  const { config, connector, ctx } = options;
  const timeoutMs = config.command_timeout_seconds * 1000;
  const command = (field: 'validate_command' | 'reload_command', text: string) =>
    createOperatorCommand(text, { field, connector, timeoutMs, logger: ctx.logger });
  return createFileTarget({
    ...options,
    verify: resolvePostDeployVerify(config.post_deploy_verify),
    validateCommand: config.validate_command ? command('validate_command', config.validate_command) : undefined,
    reloadCommand: command('reload_command', config.reload_command),
  });
}
