/** The Azure Key Vault discovery source's JSON config (snake_case, keys as in the reference). */
import { isAbsolute } from 'node:path';
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

/** `key=value` over Key Vault tag characters; an empty string turns the tag filter off. */
const TAG_FILTER = /^$|^[^=\s][^=]{0,511}=.{0,256}$/;

export const azureKvConfigSchema = z
  .strictObject({
    vault_url: z.url({ protocol: /^https$/ }).describe('Vault URL, e.g. https://myvault.vault.azure.net (HTTPS only)'),
    credential_mode: z
      .enum(['client_secret', 'managed_identity'])
      .default('client_secret')
      .describe(
        'client_secret: an app registration (tenant_id, client_id, client_secret); managed_identity: the host’s managed identity (client_id picks a user-assigned one)',
      ),
    tenant_id: z
      .string()
      .regex(/^[0-9a-zA-Z.-]{1,100}$/, 'a tenant id (GUID) or domain')
      .optional()
      .describe('Azure AD tenant (client_secret mode)'),
    client_id: z
      .uuid()
      .optional()
      .describe('Application (client) id; in managed_identity mode the client id of a user-assigned identity'),
    client_secret: secret(z.string().min(1).max(1024))
      .optional()
      .describe('Client secret of the app registration (client_secret mode)'),
    include_certificates: z.boolean().default(true).describe('Scan Key Vault certificates (certificates/list, get)'),
    include_secrets: z
      .boolean()
      .default(true)
      .describe(
        'Scan secrets too (secrets/list, get), for certificates stored as plain secrets; secrets backing a Key Vault certificate are skipped',
      ),
    tag_filter: z
      .string()
      .regex(TAG_FILTER, 'must be key=value, or empty for no tag filter')
      .default('')
      .describe('Only objects carrying this tag (key=value, exact match); empty scans all'),
    name_prefix: z
      .string()
      .max(127)
      .regex(/^[0-9a-zA-Z-]*$/, 'Key Vault names hold letters, digits and "-"')
      .default('')
      .describe('Only objects whose name starts with this prefix (case-insensitive, as Key Vault names are)'),
    pkcs12_password: secret(z.string().min(1).max(1024))
      .optional()
      .describe('Password tried on PKCS#12 secrets after the empty password (Key Vault’s own are unprotected)'),
    authority_host: z
      .url({ protocol: /^https$/ })
      .optional()
      .describe('Azure AD authority for sovereign or private clouds; default https://login.microsoftonline.com'),
    ca_bundle_path: z
      .string()
      .max(4096)
      .refine((p) => isAbsolute(p) && !p.includes('\0'), 'must be an absolute path')
      .optional()
      .describe('PEM bundle to trust for the vault and the authority (TLS-inspecting proxies, private clouds)'),
    challenge_resource_verification: z
      .boolean()
      .default(true)
      .describe(
        'Check that the vault host is under the resource Key Vault names in its challenge; turn off only for vaults behind a custom domain',
      ),
    max_objects: z
      .int()
      .min(1)
      .max(100_000)
      .default(10_000)
      .describe('Most certificates plus secrets read in one scan'),
    max_retries: z.int().min(0).max(10).default(3).describe('Retries of throttled (429) and 5xx requests'),
    request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each request'),
  })
  .superRefine((config, ctx) => {
    if (config.credential_mode === 'client_secret') {
      for (const key of ['tenant_id', 'client_id', 'client_secret'] as const) {
        if (!config[key]) ctx.addIssue({ code: 'custom', path: [key], message: 'is required in client_secret mode' });
      }
    } else if (config.client_secret !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'is only used in client_secret mode' });
    }
    if (!config.include_certificates && !config.include_secrets) {
      ctx.addIssue({
        code: 'custom',
        path: ['include_secrets'],
        message: 'include_certificates and include_secrets are both off: nothing to scan',
      });
    }
  });

export type AzureKvDiscoveryConfig = z.output<typeof azureKvConfigSchema>;
export type AzureKvDiscoveryConfigInput = z.input<typeof azureKvConfigSchema>;

/** The reference names, plus the filters and PKCS#12 password in the same style. */
export const azureKvEnvMapping: EnvMapping = {
  CERTCTL_AZURE_KV_VAULT_URL: 'vault_url',
  CERTCTL_AZURE_KV_TENANT_ID: 'tenant_id',
  CERTCTL_AZURE_KV_CLIENT_ID: 'client_id',
  CERTCTL_AZURE_KV_CLIENT_SECRET: 'client_secret',
  CERTCTL_AZURE_KV_CREDENTIAL_MODE: 'credential_mode',
  CERTCTL_AZURE_KV_TAG_FILTER: 'tag_filter',
  CERTCTL_AZURE_KV_NAME_PREFIX: 'name_prefix',
  CERTCTL_AZURE_KV_PKCS12_PASSWORD: 'pkcs12_password',
};

/** Key Vault DNS suffixes whose first label is the vault name. */
const VAULT_SUFFIXES = ['.vault.azure.net', '.vault.azure.cn', '.vault.usgovcloudapi.net', '.vault.microsoftazure.de'];

/** The vault's name for source paths: `myvault` for https://myvault.vault.azure.net, else the host. */
export function vaultName(vaultUrl: string): string {
  const url = new URL(vaultUrl);
  const host = url.hostname.toLowerCase();
  const suffix = VAULT_SUFFIXES.find((s) => host.endsWith(s));
  return suffix ? host.slice(0, -suffix.length) : url.host.toLowerCase();
}
