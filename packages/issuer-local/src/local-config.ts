/** The local CA's JSON config (snake_case, as in the reference table) and its environment variables. */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

export const CA_KEY_ALGORITHMS = ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'rsa-3072', 'rsa-4096', 'ed25519'] as const;

export const DEFAULT_CA_COMMON_NAME = 'CertCtl Local CA';

export const localConfigSchema = z
  .strictObject({
    ca_common_name: z
      .string()
      .min(1)
      .max(64)
      .default(DEFAULT_CA_COMMON_NAME)
      .describe('Common name of the self-signed root created on first use (ignored in sub-CA mode)'),
    ca_organization: z
      .string()
      .min(1)
      .max(64)
      .optional()
      .describe('Organization (O) of the self-signed root (ignored in sub-CA mode)'),
    ca_country: z
      .string()
      .regex(/^[A-Z]{2}$/, 'two upper-case letters (ISO 3166)')
      .optional()
      .describe('Country (C) of the self-signed root (ignored in sub-CA mode)'),
    ca_key_algorithm: z
      .enum(CA_KEY_ALGORITHMS)
      .default('ecdsa-p256')
      .describe('Key algorithm of the self-signed root (ignored in sub-CA mode)'),
    ca_validity_days: z
      .int()
      .min(1)
      .max(36_500)
      .default(3650)
      .describe('Lifetime of the self-signed root, in days (ignored in sub-CA mode)'),
    validity_days: z
      .int()
      .min(1)
      .max(3650)
      .default(90)
      .describe('Lifetime of issued certificates, in days; a profile max TTL and the CA expiry cap it'),
    ca_cert_path: z
      .string()
      .min(1)
      .optional()
      .describe('Sub-CA mode: PEM file of the CA certificate signed by an upstream CA (e.g. ADCS)'),
    ca_key_path: z
      .string()
      .min(1)
      .optional()
      .describe('Sub-CA mode: PEM file of the CA private key (PKCS#8, PKCS#1 or SEC1); mode 0600 or 0400'),
    ca_chain_path: z
      .string()
      .min(1)
      .optional()
      .describe('Sub-CA mode: PEM bundle of the parents of ca_cert_path, closest first, up to the enterprise root'),
    ca_key_passphrase: secret(z.string().min(1))
      .optional()
      .describe('Sub-CA mode: passphrase of an encrypted PKCS#8 ca_key_path'),
    hierarchy_mode: z
      .enum(['single', 'tree'])
      .default('single')
      .describe(
        'single: the root (or sub-CA) signs leaves; tree: intermediates are created below it through the admin API and one of them signs leaves',
      ),
    ocsp_responder: z
      .enum(['delegated', 'ca'])
      .default('delegated')
      .describe(
        'Who signs OCSP responses: a short-lived delegated responder certificate issued by the CA, or the CA key itself',
      ),
    ocsp_responder_validity_days: z
      .int()
      .min(1)
      .max(90)
      .default(7)
      .describe('Lifetime of the delegated OCSP responder certificate; it is replaced when a third of it is left'),
  })
  .superRefine((config, ctx) => {
    const hasCert = config.ca_cert_path !== undefined;
    const hasKey = config.ca_key_path !== undefined;
    if (hasCert !== hasKey) {
      ctx.addIssue({
        code: 'custom',
        path: [hasCert ? 'ca_key_path' : 'ca_cert_path'],
        message: 'sub-CA mode needs both ca_cert_path and ca_key_path',
      });
    }
    if (!hasCert) {
      for (const key of ['ca_chain_path', 'ca_key_passphrase'] as const) {
        if (config[key] !== undefined) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: 'only used in sub-CA mode (set ca_cert_path and ca_key_path)',
          });
        }
      }
    }
  });

/** The parsed config (defaults applied). */
export type LocalIssuerConfig = z.output<typeof localConfigSchema>;
/** What an operator writes (defaults optional). */
export type LocalIssuerConfigInput = z.input<typeof localConfigSchema>;

/** `CERTCTL_CA_CERT_PATH` and `CERTCTL_CA_KEY_PATH` are the reference names; the chain and passphrase follow them. */
export const localEnvMapping: EnvMapping = {
  CERTCTL_CA_CERT_PATH: 'ca_cert_path',
  CERTCTL_CA_KEY_PATH: 'ca_key_path',
  CERTCTL_CA_CHAIN_PATH: 'ca_chain_path',
  CERTCTL_CA_KEY_PASSPHRASE: 'ca_key_passphrase',
};

/** Sub-CA mode when both files are configured; otherwise a self-signed root kept in the secret store. */
export function isSubCaMode(config: LocalIssuerConfig): config is LocalIssuerConfig & {
  ca_cert_path: string;
  ca_key_path: string;
} {
  return config.ca_cert_path !== undefined && config.ca_key_path !== undefined;
}
