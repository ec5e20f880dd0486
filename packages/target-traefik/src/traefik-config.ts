/** The Traefik target's JSON config (snake_case, as in the reference table). */
import { absolutePath, fileName } from '@certctl/connector-utils';
import { z } from 'zod';

export const traefikConfigSchema = z
  .strictObject({
    cert_dir: absolutePath("Directory the files go to (inside or referenced by Traefik's file provider directory)"),
    cert_file: fileName('File name of the certificate followed by its chain, in cert_dir; mode 0644 when new').default(
      'cert.pem',
    ),
    key_file: fileName('File name of the private key, in cert_dir; mode 0600 when new').default('key.pem'),
    dynamic_config_file: fileName(
      'Optional: also write a Traefik dynamic configuration file (YAML, tls.certificates with certFile/keyFile) with this name in cert_dir',
    )
      .refine((name) => /\.ya?ml$/.test(name), 'must end in .yml or .yaml (Traefik picks the format by extension)')
      .optional(),
  })
  .superRefine((config, ctx) => {
    const names = [config.cert_file, config.key_file, config.dynamic_config_file].filter((n) => n !== undefined);
    if (new Set(names).size !== names.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['key_file'],
        message: 'cert_file, key_file and dynamic_config_file must differ',
      });
    }
  });

export type TraefikTargetConfig = z.output<typeof traefikConfigSchema>;
export type TraefikTargetConfigInput = z.input<typeof traefikConfigSchema>;
