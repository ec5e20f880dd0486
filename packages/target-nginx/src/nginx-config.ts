/** The NGINX target's JSON config (snake_case, as in the reference table). */
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

export const nginxConfigSchema = z
  .strictObject({
    cert_path: absolutePath(
      'Where the certificate goes, followed by its chain (the file ssl_certificate names); mode 0644 when new',
    ),
    chain_path: absolutePath(
      'Optional: where the chain alone goes (for ssl_trusted_certificate / OCSP stapling); mode 0644 when new',
    ).optional(),
    key_path: absolutePath('Where the private key goes (the file ssl_certificate_key names); mode 0600 when new'),
    reload_command: command(
      'Makes nginx load the new files; runs without a shell, so ; | & $ are refused (e.g. "nginx -s reload")',
    ).default('systemctl reload nginx'),
    validate_command: command(
      'Checks the config with the new files in place before reloading; an empty string is refused (e.g. "nginx -t -c /etc/nginx/nginx.conf")',
    ).default('nginx -t'),
    command_timeout_seconds: z
      .int()
      .min(1)
      .max(600)
      .default(60)
      .describe('Deadline of each validate or reload command'),
    post_deploy_verify: postDeployVerifySchema
      .optional()
      .describe(
        'After the reload, connect to nginx and check that it presents the deployed certificate; otherwise restore the previous files and reload',
      ),
  })
  .superRefine((config, ctx) => {
    const paths = [config.cert_path, config.chain_path, config.key_path].filter((p) => p !== undefined);
    if (new Set(paths).size !== paths.length) {
      ctx.addIssue({ code: 'custom', path: ['key_path'], message: 'cert_path, chain_path and key_path must differ' });
    }
  });

export type NginxTargetConfig = z.output<typeof nginxConfigSchema>;
export type NginxTargetConfigInput = z.input<typeof nginxConfigSchema>;
