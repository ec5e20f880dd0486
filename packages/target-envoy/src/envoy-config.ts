/** The Envoy target's JSON config (snake_case, as in the reference table). */
import { absolutePath, fileName } from '@certctl/connector-utils';
import { z } from 'zod';

export const SDS_FILE_NAME = 'sds.json';

export const envoyConfigSchema = z
  .strictObject({
    cert_dir: absolutePath('Directory Envoy reads the certificate files from'),
    cert_filename: fileName(
      'File name of the certificate (leaf + chain unless chain_filename is set); mode 0644 when new',
    ).default('cert.pem'),
    key_filename: fileName('File name of the private key; mode 0600 when new').default('key.pem'),
    chain_filename: fileName(
      'Optional: write the chain to this separate file instead of appending it to the certificate',
    ).optional(),
    sds_config: z
      .boolean()
      .default(false)
      .describe(
        `Also write ${SDS_FILE_NAME} in cert_dir: a file-based SDS DiscoveryResponse with one tls_certificate Secret naming the files`,
      ),
    sds_resource_name: z
      .string()
      .regex(/^[A-Za-z0-9._:-]{1,128}$/, 'letters, digits and . _ : -')
      .default('server_cert')
      .describe("Name of the SDS Secret resource (what the listener's sds_config secret name refers to)"),
  })
  .superRefine((config, ctx) => {
    const names = [
      config.cert_filename,
      config.key_filename,
      config.chain_filename,
      config.sds_config ? SDS_FILE_NAME : undefined,
    ].filter((n) => n !== undefined);
    if (new Set(names).size !== names.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['key_filename'],
        message: `cert_filename, key_filename, chain_filename and ${SDS_FILE_NAME} must differ`,
      });
    }
  });

export type EnvoyTargetConfig = z.output<typeof envoyConfigSchema>;
export type EnvoyTargetConfigInput = z.input<typeof envoyConfigSchema>;
