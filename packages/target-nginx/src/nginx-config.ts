/** The NGINX target's JSON config (snake_case, as in the reference table). */
import { absolutePath, commandFileTargetFields, distinctPaths } from '@certctl/connector-utils';
import { z } from 'zod';

export const nginxConfigSchema = z
  .strictObject({
    cert_path: absolutePath(
      'Where the certificate goes, followed by its chain (the file ssl_certificate names); mode 0644 when new',
    ),
    chain_path: absolutePath(
      'Optional: where the chain alone goes (for ssl_trusted_certificate / OCSP stapling); mode 0644 when new',
    ).optional(),
    key_path: absolutePath('Where the private key goes (the file ssl_certificate_key names); mode 0600 when new'),
    ...commandFileTargetFields({
      reload: {
        description:
          'Makes nginx load the new files; runs without a shell, so ; | & $ are refused (e.g. "nginx -s reload")',
        default: 'systemctl reload nginx',
      },
      validate: {
        description:
          'Checks the config with the new files in place before reloading; an empty string is refused (e.g. "nginx -t -c /etc/nginx/nginx.conf")',
        default: 'nginx -t',
      },
      verify:
        'After the reload, connect to nginx and check that it presents the deployed certificate; otherwise restore the previous files and reload',
    }),
  })
  .superRefine(distinctPaths(['cert_path', 'chain_path', 'key_path']));

export type NginxTargetConfig = z.output<typeof nginxConfigSchema>;
export type NginxTargetConfigInput = z.input<typeof nginxConfigSchema>;
