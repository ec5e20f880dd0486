/** The GlobalSign Atlas HVCA issuer's JSON config (snake_case, as in the reference) and its environment variables. */
import { type EnvMapping, secret } from '@certctl/core';
import { z } from 'zod';

/**
 * Atlas HVCA API base URLs by region. Only the EMEA endpoint is confirmed by GlobalSign's public
 * client documentation; accounts contracted elsewhere set `api_url` to the URL GlobalSign gave them.
 */
export const ATLAS_REGIONS = {
  emea: 'https://emea.api.hvca.globalsign.com:8443/v2',
} as const;

export type AtlasRegion = keyof typeof ATLAS_REGIONS;

export const globalSignConfigSchema = z
  .strictObject({
    api_url: z
      .url({ protocol: /^https$/ })
      .optional()
      .describe('Atlas HVCA API URL of your region, e.g. https://emea.api.hvca.globalsign.com:8443/v2'),
    region: z
      .enum(Object.keys(ATLAS_REGIONS) as [AtlasRegion, ...AtlasRegion[]])
      .optional()
      .describe('Region whose public API URL to use when api_url is not set'),
    api_key: secret(z.string().min(1).max(256)).describe('API key (exchanged with the secret at /login for a token)'),
    api_secret: secret(z.string().min(1).max(4096)).describe('API secret matching the API key'),
    client_cert_path: z
      .string()
      .min(1)
      .describe('PEM client certificate bound to the API key (mTLS); reloaded when the file changes'),
    client_key_path: z.string().min(1).describe('PEM private key of the client certificate'),
    server_ca_path: z
      .string()
      .min(1)
      .optional()
      .describe('PEM bundle that alone is trusted for the Atlas API server certificate (pinning)'),
    poll_max_wait_seconds: z
      .int()
      .min(1)
      .max(30 * 86_400)
      .default(600)
      .describe('How long a certificate still being validated is followed up'),
    issue_wait_seconds: z
      .int()
      .min(0)
      .max(300)
      .default(30)
      .describe('How long issue waits for Atlas to issue before handing back a pending order'),
    token_refresh_seconds: z
      .int()
      .min(30)
      .max(3600)
      .default(540)
      .describe('Age at which the access token is renewed (Atlas tokens live 10 minutes)'),
    request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each call to Atlas'),
  })
  .superRefine((config, ctx) => {
    if (config.api_url === undefined && config.region === undefined) {
      ctx.addIssue({ code: 'custom', path: ['api_url'], message: 'set api_url, or region for a public endpoint' });
    }
  });

export type GlobalSignIssuerConfig = z.output<typeof globalSignConfigSchema>;
export type GlobalSignIssuerConfigInput = z.input<typeof globalSignConfigSchema>;

/** The API base URL the config selects. */
export function atlasBaseUrl(config: GlobalSignIssuerConfig): string {
  return (config.api_url ?? ATLAS_REGIONS[config.region!]).replace(/\/+$/, '');
}

/** The reference names, plus the region in the same style. */
export const globalSignEnvMapping: EnvMapping = {
  CERTCTL_GLOBALSIGN_API_URL: 'api_url',
  CERTCTL_GLOBALSIGN_REGION: 'region',
  CERTCTL_GLOBALSIGN_API_KEY: 'api_key',
  CERTCTL_GLOBALSIGN_API_SECRET: 'api_secret',
  CERTCTL_GLOBALSIGN_CLIENT_CERT_PATH: 'client_cert_path',
  CERTCTL_GLOBALSIGN_CLIENT_KEY_PATH: 'client_key_path',
  CERTCTL_GLOBALSIGN_SERVER_CA_PATH: 'server_ca_path',
  CERTCTL_GLOBALSIGN_POLL_MAX_WAIT_SECONDS: 'poll_max_wait_seconds',
};
