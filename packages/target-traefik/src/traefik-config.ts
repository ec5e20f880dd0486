/** The Traefik target's JSON config (snake_case, as in the reference table). */
import { z } from 'zod';

const fileName = (description: string) =>
  z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,255}$/, 'must be a file name (letters, digits, . _ -), not a path')
    .refine((name) => name !== '.' && name !== '..', 'must be a file name')
    .describe(description);

export const traefikConfigSchema = z
  .strictObject({
    cert_dir: z
      .string()
      .min(2)
      .max(4096)
      .refine((p) => p.startsWith('/') && !p.includes('\0'), 'must be an absolute path')
      .describe("Directory the files go to (inside or referenced by Traefik's file provider directory)"),
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
