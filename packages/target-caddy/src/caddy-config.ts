/** The Caddy target's JSON config (snake_case, keys as in the reference) and its parsed settings. */
import { join } from 'node:path';
import {
  absolutePath,
  commandTimeoutSeconds,
  createOperatorCommand,
  distinctPaths,
  fileName,
  type OperatorCommand,
  operatorCommand,
  type PostDeployVerifySettings,
  postDeployVerifySchema,
  resolvePostDeployVerify,
} from '@certctl/connector-utils';
import { z } from 'zod';
import { CONNECTOR } from './connector-name.js';

export const CADDY_MODES = ['api', 'file'] as const;
export type CaddyMode = (typeof CADDY_MODES)[number];

export const DEFAULT_RELOAD_COMMAND = 'caddy reload --config /etc/caddy/Caddyfile --force';
export const DEFAULT_VALIDATE_COMMAND = 'caddy validate --config /etc/caddy/Caddyfile';

export const caddyConfigSchema = z
  .strictObject({
    mode: z
      .enum(CADDY_MODES)
      .default('api')
      .describe(
        'api: post the certificate and key to the admin API (apps.tls.certificates.load_pem); file: write files to cert_dir and reload',
      ),
    admin_api: z
      .url({ protocol: /^https?$/ })
      .default('http://localhost:2019')
      .describe("Base URL of Caddy's admin API (api mode; ignored in file mode)"),
    certificate_tag: z
      .string()
      .min(1)
      .max(128)
      .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, ".", "_", ":" and "-" only')
      .default('certctl')
      .describe(
        'api mode: tag of the load_pem entry this target owns; select it with certificate_selection.any_tag in a TLS connection policy',
      ),
    cert_dir: absolutePath('file mode: directory the certificate and key files are written to').default(
      '/etc/caddy/certs',
    ),
    cert_file: fileName('file mode: certificate file in cert_dir (leaf then chain, 0644)').default('site.crt'),
    key_file: fileName('file mode: private key file in cert_dir (0600 when created)').default('site.key'),
    reload_command: operatorCommand(
      `file mode: command that makes Caddy reload the files, run without a shell (default "${DEFAULT_RELOAD_COMMAND}")`,
    ).optional(),
    validate_command: operatorCommand(
      `file mode: command that checks the configuration with the new files before the reload (default "${DEFAULT_VALIDATE_COMMAND}"); "" skips it`,
      { emptySkips: true },
    ).optional(),
    request_timeout_seconds: z
      .int()
      .min(1)
      .max(300)
      .default(30)
      .describe('api mode: deadline of each admin API request'),
    command_timeout_seconds: commandTimeoutSeconds('file mode: deadline of each validate or reload command'),
    post_deploy_verify: postDeployVerifySchema
      .optional()
      .describe(
        'After the load or reload, connect to Caddy and check that it presents the deployed certificate; otherwise restore the previous state',
      ),
    backup_retention: z
      .int()
      .min(0)
      .max(100)
      .default(3)
      .describe('file mode: previous versions kept beside each file as <file>.certctl-bak.<UTC time>'),
  })
  .superRefine(distinctPaths(['cert_file', 'key_file']));

export type CaddyTargetConfig = z.output<typeof caddyConfigSchema>;
export type CaddyTargetConfigInput = z.input<typeof caddyConfigSchema>;

export interface CaddyFileSettings {
  certPath: string;
  keyPath: string;
  validate: OperatorCommand | undefined;
  reload: OperatorCommand;
  backups: number;
}

export function resolveFileSettings(config: CaddyTargetConfig): CaddyFileSettings {
  const timeoutMs = config.command_timeout_seconds * 1000;
  const validateText = config.validate_command ?? DEFAULT_VALIDATE_COMMAND;
  return {
    certPath: join(config.cert_dir, config.cert_file),
    keyPath: join(config.cert_dir, config.key_file),
    validate:
      validateText === ''
        ? undefined
        : createOperatorCommand(validateText, { field: 'validate_command', connector: CONNECTOR, timeoutMs }),
    reload: createOperatorCommand(config.reload_command ?? DEFAULT_RELOAD_COMMAND, {
      field: 'reload_command',
      connector: CONNECTOR,
      timeoutMs,
    }),
    backups: config.backup_retention,
  };
}

export type CaddyVerifySettings = PostDeployVerifySettings;

export function resolveVerifySettings(config: CaddyTargetConfig): CaddyVerifySettings | undefined {
  return resolvePostDeployVerify(config.post_deploy_verify);
}
