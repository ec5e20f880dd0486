import { secret } from '@certctl/core';
import { z } from 'zod';

export const OPSGENIE_API_URLS = { us: 'https://api.opsgenie.com', eu: 'https://api.eu.opsgenie.com' } as const;

export const opsgenieConfigSchema = z.strictObject({
  /** The key of an OpsGenie API integration (sent as `Authorization: GenieKey <key>`). */
  api_key: secret(z.string().min(1)),
  /** Which OpsGenie instance holds the account. */
  region: z.enum(['us', 'eu']).default('us'),
  /** Overrides the region's API URL (a proxy, or a test fake). */
  api_url: z.url({ protocol: /^https$/, error: 'must be an https:// URL' }).optional(),
  /** A fixed priority for every alert; unset maps certctl's severity (critical → P1, warning → P3, informational → P5). */
  priority: z.enum(['P1', 'P2', 'P3', 'P4', 'P5']).optional(),
  /** Tags added to every alert, besides `certctl` and the event name. */
  tags: z.array(z.string().min(1).max(50)).max(15).default([]),
  /** The alert's `source` field. */
  source: z.string().min(1).max(100).default('certctl'),
  request_timeout_seconds: z.number().int().min(1).max(120).default(10),
});

export type OpsgenieConfig = z.output<typeof opsgenieConfigSchema>;

export const opsgenieEnvMapping = {
  CERTCTL_OPSGENIE_API_KEY: 'api_key',
  CERTCTL_OPSGENIE_REGION: 'region',
  CERTCTL_OPSGENIE_API_URL: 'api_url',
  CERTCTL_OPSGENIE_PRIORITY: 'priority',
  CERTCTL_OPSGENIE_TAGS: 'tags',
} as const;

/** The API base URL: `api_url` when set, else the region's. */
export function opsgenieBaseUrl(config: Pick<OpsgenieConfig, 'region' | 'api_url'>): string {
  return (config.api_url ?? OPSGENIE_API_URLS[config.region]).replace(/\/+$/, '');
}
