/** The Apache httpd target's JSON config (snake_case, as in the reference table). */
import { absolutePath, commandFileTargetFields, distinctPaths } from '@certctl/connector-utils';
import { z } from 'zod';

export const apacheConfigSchema = z
  .strictObject({
    cert_path: absolutePath(
      'Where the certificate goes (SSLCertificateFile): the leaf alone when chain_path is set, else the leaf followed by its chain; mode 0644 when new',
    ),
    chain_path: absolutePath(
      'Optional: where the chain goes (SSLCertificateChainFile, or SSLCACertificateFile for stapling); mode 0644 when new',
    ).optional(),
    key_path: absolutePath('Where the private key goes (SSLCertificateKeyFile); mode 0600 when new'),
    ...commandFileTargetFields({
      reload: {
        description:
          'Makes Apache load the new files; runs without a shell, so ; | & $ are refused (e.g. "systemctl reload apache2")',
        default: 'apachectl graceful',
      },
      validate: {
        description: 'Checks the config with the new files in place before reloading (e.g. "apache2ctl -t")',
        default: 'apachectl configtest',
      },
      verify:
        'After the graceful restart, connect to Apache and check that it presents the deployed certificate; otherwise restore the previous files and restart again',
    }),
  })
  .superRefine(distinctPaths(['cert_path', 'chain_path', 'key_path']));

export type ApacheTargetConfig = z.output<typeof apacheConfigSchema>;
export type ApacheTargetConfigInput = z.input<typeof apacheConfigSchema>;
