import { parseCidr } from '@certctl/connector-utils';
import { secret } from '@certctl/core';
import { z } from 'zod';

/** Header names this notifier sets itself; a custom header may not replace them. */
export const RESERVED_HEADERS = new Set([
  'content-type',
  'content-length',
  'host',
  'transfer-encoding',
  'connection',
  'x-certctl-signature',
  'x-certctl-event',
  'x-certctl-delivery',
]);

const headerName = z
  .string()
  .regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'must be an HTTP header name')
  .refine((name) => !RESERVED_HEADERS.has(name.toLowerCase()), 'is set by the notifier and cannot be overridden');

export const webhookConfigSchema = z.strictObject({
  url: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  /** HMAC-SHA256 key: every request carries `X-Certctl-Signature: t=<unix>,v1=<hex>` over `<t>.<body>`. */
  secret: secret(z.string().min(16, 'must be at least 16 characters')).optional(),
  /** Extra headers (e.g. an Authorization token for the receiver); secret as a whole since they usually hold credentials. */
  headers: secret(z.record(headerName, z.string().regex(/^[^\r\n]*$/, 'must be one line'))).default({}),
  /** Allow 127.0.0.0/8 and ::1. */
  allow_loopback: z.boolean().default(false),
  /** Allow RFC 1918, CGNAT and unique-local IPv6 addresses (internal receivers). */
  allow_private: z.boolean().default(false),
  /** CIDRs and host names allowed beyond the flags (the only way to reach link-local or metadata addresses). */
  ssrf_allow: z
    .array(
      z
        .string()
        .refine(
          (entry) => parseCidr(entry) !== undefined || /^(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/i.test(entry),
          'must be a CIDR, an IP address or a host name',
        ),
    )
    .default([]),
  /** PEM CA certificate(s) trusted for an https receiver, in addition to the system store. */
  ca_pem: z.string().includes('-----BEGIN CERTIFICATE-----', { error: 'must hold a PEM certificate' }).optional(),
  request_timeout_seconds: z.number().int().min(1).max(120).default(10),
});

export type WebhookConfig = z.output<typeof webhookConfigSchema>;

export const webhookEnvMapping = {
  CERTCTL_WEBHOOK_URL: 'url',
  CERTCTL_WEBHOOK_SECRET: 'secret',
  CERTCTL_WEBHOOK_HEADERS: 'headers',
  CERTCTL_WEBHOOK_ALLOW_LOOPBACK: 'allow_loopback',
  CERTCTL_WEBHOOK_ALLOW_PRIVATE: 'allow_private',
  CERTCTL_WEBHOOK_SSRF_ALLOW: 'ssrf_allow',
  CERTCTL_WEBHOOK_CA_PEM: 'ca_pem',
} as const;
