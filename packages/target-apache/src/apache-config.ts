/** The Apache httpd target's JSON config (snake_case, as in the reference table). */
import { postDeployVerifySchema, refineOperatorCommand } from '@certctl/connector-utils';
import { z } from 'zod';

const absolutePath = (description: string) =>
  z
    .string()
    .min(2)
    .max(4096)
    .refine((p) => p.startsWith('/') && !p.includes('\0'), 'must be an absolute path')
    .describe(description);

const command = (description: string) => z.string().superRefine(refineOperatorCommand).describe(description);

export const apacheConfigSchema = z
  .strictObject({
    cert_path: absolutePath(
      'Where the certificate goes (SSLCertificateFile): the leaf alone when chain_path is set, else the leaf followed by its chain; mode 0644 when new',
    ),
    chain_path: absolutePath(
      'Optional: where the chain goes (SSLCertificateChainFile, or SSLCACertificateFile for stapling); mode 0644 when new',
    ).optional(),
    key_path: absolutePath('Where the private key goes (SSLCertificateKeyFile); mode 0600 when new'),
    reload_command: command(
      'Makes Apache load the new files; runs without a shell, so ; | & $ are refused (e.g. "systemctl reload apache2")',
    ).default('apachectl graceful'),
    validate_command: command(
      'Checks the config with the new files in place before reloading (e.g. "apache2ctl -t")',
    ).default('apachectl configtest'),
    command_timeout_seconds: z
      .int()
      .min(1)
      .max(600)
      .default(60)
      .describe('Deadline of each validate or reload command'),
    post_deploy_verify: postDeployVerifySchema
      .optional()
      .describe(
        'After the graceful restart, connect to Apache and check that it presents the deployed certificate; otherwise restore the previous files and restart again',
      ),
  })
  .superRefine((config, ctx) => {
    const paths = [config.cert_path, config.chain_path, config.key_path].filter((p) => p !== undefined);
    if (new Set(paths).size !== paths.length) {
      ctx.addIssue({ code: 'custom', path: ['key_path'], message: 'cert_path, chain_path and key_path must differ' });
    }
  });

export type ApacheTargetConfig = z.output<typeof apacheConfigSchema>;
export type ApacheTargetConfigInput = z.input<typeof apacheConfigSchema>;
