/** The Vault issuer's JSON config (snake_case, as in the reference) and its environment variables. */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';
import { parseVaultDuration } from './vault-duration.js';

/** A Vault path (mount, namespace): segments of letters, digits, `_ . -`, never `.` or `..`. */
const vaultPath = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9_.-]+(\/[A-Za-z0-9_.-]+)*$/, 'letters, digits, "_", ".", "-" and "/" between segments')
  .refine(
    (value) => value.split('/').every((segment) => segment !== '.' && segment !== '..'),
    'no "." or ".." segments',
  );

/** A role name: one path segment. */
export const ROLE_NAME = /^(?!\.\.?$)[A-Za-z0-9_.-]{1,128}$/;

export const vaultConfigSchema = z.strictObject({
  addr: z.url({ protocol: /^https?$/ }).describe('Vault server address, e.g. https://vault.internal:8200'),
  token: secret(z.string().min(1).max(4096)).describe('Vault token with sign (and revoke) rights on the PKI mount'),
  mount: vaultPath.default('pki').describe('Mount path of the PKI secrets engine'),
  role: z
    .string()
    .regex(ROLE_NAME, 'one segment of letters, digits, "_", ".", "-"')
    .describe('PKI role used for signing (a request profile names another role)'),
  ttl: z
    .string()
    .refine((value) => (parseVaultDuration(value) ?? 0) > 0, 'a Vault duration such as 8760h, 720h or 30d')
    .default('8760h')
    .describe("Requested certificate TTL; a profile's max TTL lowers it"),
  namespace: vaultPath.optional().describe('Vault Enterprise namespace (X-Vault-Namespace)'),
  ca_cert_path: z
    .string()
    .min(1)
    .optional()
    .describe("PEM bundle trusted for Vault's TLS certificate instead of the system store"),
  request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each call to Vault'),
  renew_token: z.boolean().default(true).describe('Renew the token at half its TTL while the issuer runs'),
});

export type VaultIssuerConfig = z.output<typeof vaultConfigSchema>;
export type VaultIssuerConfigInput = z.input<typeof vaultConfigSchema>;

/** The reference names, plus the CA bundle and namespace in the same style. */
export const vaultEnvMapping: EnvMapping = {
  CERTCTL_VAULT_ADDR: 'addr',
  CERTCTL_VAULT_TOKEN: 'token',
  CERTCTL_VAULT_MOUNT: 'mount',
  CERTCTL_VAULT_ROLE: 'role',
  CERTCTL_VAULT_TTL: 'ttl',
  CERTCTL_VAULT_NAMESPACE: 'namespace',
  CERTCTL_VAULT_CA_CERT_PATH: 'ca_cert_path',
};
