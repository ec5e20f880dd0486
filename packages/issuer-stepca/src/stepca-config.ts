/** The step-ca issuer's JSON config (snake_case, as in the reference) and its environment variables. */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

export const stepcaConfigSchema = z.strictObject({
  ca_url: z.url({ protocol: /^https$/ }).describe('step-ca base URL, e.g. https://ca.internal:9000'),
  provisioner_name: z.string().min(1).max(256).describe('Name of the JWK provisioner (the token issuer)'),
  provisioner_key_path: z
    .string()
    .min(1)
    .describe(
      "The provisioner's private key: its ca.json entry (with encryptedKey), the encrypted JWK written by `step crypto jwk create`, or a plain private JWK",
    ),
  provisioner_password: secret(z.string().min(1).max(1024))
    .optional()
    .describe('Password that decrypts the provisioner key (not needed for a plain JWK)'),
  root_cert_path: z
    .string()
    .min(1)
    .describe("step-ca's root certificate (PEM): the only certificate trusted for its TLS"),
  validity_days: z
    .int()
    .min(1)
    .max(3650)
    .optional()
    .describe(
      "Requested certificate lifetime; a profile's max TTL lowers it. Default: the provisioner's default duration",
    ),
  request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each call to step-ca'),
});

export type StepcaIssuerConfig = z.output<typeof stepcaConfigSchema>;
export type StepcaIssuerConfigInput = z.input<typeof stepcaConfigSchema>;

/** The reference names, plus the root and validity in the same style. */
export const stepcaEnvMapping: EnvMapping = {
  CERTCTL_STEPCA_URL: 'ca_url',
  CERTCTL_STEPCA_PROVISIONER: 'provisioner_name',
  CERTCTL_STEPCA_KEY_PATH: 'provisioner_key_path',
  CERTCTL_STEPCA_PASSWORD: 'provisioner_password',
  CERTCTL_STEPCA_ROOT_CERT_PATH: 'root_cert_path',
  CERTCTL_STEPCA_VALIDITY_DAYS: 'validity_days',
};
