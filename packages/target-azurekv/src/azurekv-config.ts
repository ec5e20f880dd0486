/** The Azure Key Vault target's JSON config (snake_case, keys as in the reference). */
import { isAbsolute } from 'node:path';
import { secret } from '@certctl/core';
import { z } from 'zod';

export const PROVENANCE_MANAGED_BY = 'certctl-managed-by';
export const PROVENANCE_CERTIFICATE_ID = 'certctl-certificate-id';
/** Key Vault allows 15 tags per object; two are ours. */
const MAX_OPERATOR_TAGS = 13;

export const azureKvConfigSchema = z
  .strictObject({
    vault_url: z.url({ protocol: /^https$/ }).describe('Vault URL, e.g. https://myvault.vault.azure.net (HTTPS only)'),
    certificate_name: z
      .string()
      .regex(/^[0-9a-zA-Z-]{1,127}$/, 'letters, digits and "-" only, at most 127')
      .describe('Name of the Key Vault certificate; every deploy adds a version under it'),
    tags: z
      .record(z.string().min(1).max(512), z.string().max(256))
      .default({})
      .describe('Tags of each new version; certctl-managed-by and certctl-certificate-id are added'),
    format: z
      .enum(['pkcs12', 'pem'])
      .default('pkcs12')
      .describe(
        'Content type of the stored secret: pkcs12 (application/x-pkcs12, what Application Gateway needs) or pem',
      ),
    credential_mode: z
      .enum(['managed_identity', 'client_secret'])
      .default('managed_identity')
      .describe(
        'managed_identity: the host’s managed identity (client_id picks a user-assigned one); client_secret: an app registration',
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
    const keys = Object.keys(config.tags);
    for (const key of keys) {
      if (key === PROVENANCE_MANAGED_BY || key === PROVENANCE_CERTIFICATE_ID) {
        ctx.addIssue({ code: 'custom', path: ['tags', key], message: 'is reserved for certctl provenance' });
      }
    }
    if (keys.length > MAX_OPERATOR_TAGS) {
      ctx.addIssue({
        code: 'custom',
        path: ['tags'],
        message: `at most ${MAX_OPERATOR_TAGS} tags (Key Vault allows 15)`,
      });
    }
  });

export type AzureKvTargetConfig = z.output<typeof azureKvConfigSchema>;
export type AzureKvTargetConfigInput = z.input<typeof azureKvConfigSchema>;
