/** The Postfix/Dovecot target's JSON config (snake_case, as in the reference table) and its per-mode defaults. */
import {
  absolutePath,
  commandTimeoutSeconds,
  createOperatorCommand,
  distinctPaths,
  type OperatorCommand,
  operatorCommand,
  postDeployVerifySchema,
  resolvePostDeployVerify,
  type StartTlsProtocol,
} from '@certctl/connector-utils';
import { z } from 'zod';
import { CONNECTOR } from './connector-name.js';

export const MAIL_MODES = ['postfix', 'dovecot'] as const;
export type MailMode = (typeof MAIL_MODES)[number];

/** Defaults per mode, as the reference documents them. */
export const MODE_DEFAULTS: Record<
  MailMode,
  { cert_path: string; key_path: string; reload_command: string; validate_command: string }
> = {
  postfix: {
    cert_path: '/etc/postfix/certs/cert.pem',
    key_path: '/etc/postfix/certs/key.pem',
    reload_command: 'postfix reload',
    validate_command: 'postfix check',
  },
  dovecot: {
    cert_path: '/etc/dovecot/certs/cert.pem',
    key_path: '/etc/dovecot/certs/key.pem',
    reload_command: 'doveadm reload',
    validate_command: 'doveconf -n',
  },
};

const PATH_FIELDS = ['cert_path', 'key_path', 'chain_path'] as const;

export const postfixConfigSchema = z
  .strictObject({
    mode: z
      .enum(MAIL_MODES)
      .default('postfix')
      .describe('Which daemon the files are for; picks the default paths and commands'),
    cert_path: absolutePath(
      'Certificate file (0644); holds the leaf followed by the chain unless chain_path is set. Default /etc/postfix/certs/cert.pem or /etc/dovecot/certs/cert.pem',
    ).optional(),
    key_path: absolutePath(
      'Private key file (0600 when created; an existing file keeps its mode and owner). Default /etc/postfix/certs/key.pem or /etc/dovecot/certs/key.pem',
    ).optional(),
    chain_path: absolutePath(
      'If set, the chain is written to this file (0644) and cert_path holds the leaf alone; otherwise the chain is appended to cert_path',
    ).optional(),
    reload_command: operatorCommand(
      'Command that makes the daemon load the new files, run without a shell (default "postfix reload" or "doveadm reload")',
    ).optional(),
    validate_command: operatorCommand(
      'Command that checks the configuration after the files are in place and before the reload (default "postfix check" or "doveconf -n"); "" skips validation',
      { emptySkips: true },
    ).optional(),
    command_timeout_seconds: commandTimeoutSeconds(
      'Deadline of each validate or reload command; it is killed after this long',
    ),
    post_deploy_verify: postDeployVerifySchema
      .extend({
        endpoint: postDeployVerifySchema.shape.endpoint.describe(
          "The daemon's listener, e.g. 127.0.0.1:25 (Postfix) or 127.0.0.1:143 (Dovecot)",
        ),
        starttls: z
          .enum(['smtp', 'imap', 'pop3', 'none'])
          .optional()
          .describe('Upgrade before the handshake; default smtp (postfix) or imap (dovecot); none for 465/993/995'),
      })
      .optional()
      .describe(
        'After the reload, connect to the daemon and check that it presents the deployed certificate; otherwise restore the previous files and reload',
      ),
    backup_retention: z
      .int()
      .min(0)
      .max(100)
      .default(3)
      .describe('Previous versions kept beside each file as <file>.certctl-bak.<UTC time>; 0 keeps none'),
  })
  .superRefine((config, ctx) => {
    const mode = config.mode;
    const paths = PATH_FIELDS.map(
      (field) => [field, config[field] ?? (field === 'chain_path' ? undefined : MODE_DEFAULTS[mode][field])] as const,
    );
    distinctPaths(PATH_FIELDS)(Object.fromEntries(paths), ctx);
  });

/** The parsed config (defaults applied by zod; mode defaults applied by `resolveMailSettings`). */
export type PostfixTargetConfig = z.output<typeof postfixConfigSchema>;
/** What an operator writes. */
export type PostfixTargetConfigInput = z.input<typeof postfixConfigSchema>;

/** The config with the mode's defaults filled in and commands parsed into argv. */
export interface MailSettings {
  mode: MailMode;
  certPath: string;
  keyPath: string;
  chainPath: string | undefined;
  validate: OperatorCommand | undefined;
  reload: OperatorCommand;
  backups: number;
  verify:
    | { host: string; port: number; servername?: string; starttls?: StartTlsProtocol; withinMs: number }
    | undefined;
}

export function resolveMailSettings(config: PostfixTargetConfig): MailSettings {
  const defaults = MODE_DEFAULTS[config.mode];
  const timeoutMs = config.command_timeout_seconds * 1000;
  const validateText = config.validate_command ?? defaults.validate_command;
  return {
    mode: config.mode,
    certPath: config.cert_path ?? defaults.cert_path,
    keyPath: config.key_path ?? defaults.key_path,
    chainPath: config.chain_path,
    validate:
      validateText === ''
        ? undefined
        : createOperatorCommand(validateText, { field: 'validate_command', connector: CONNECTOR, timeoutMs }),
    reload: createOperatorCommand(config.reload_command ?? defaults.reload_command, {
      field: 'reload_command',
      connector: CONNECTOR,
      timeoutMs,
    }),
    backups: config.backup_retention,
    verify: verifySettings(config),
  };
}

function verifySettings(config: PostfixTargetConfig): MailSettings['verify'] {
  const settings = resolvePostDeployVerify(config.post_deploy_verify);
  if (!settings) return undefined;
  const starttls = config.post_deploy_verify?.starttls ?? (config.mode === 'postfix' ? 'smtp' : 'imap');
  return { ...settings, starttls: starttls === 'none' ? undefined : starttls };
}
