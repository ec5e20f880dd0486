/** The Google CAS issuer's JSON config (snake_case, as in the reference) and its environment variables. */
import type { EnvMapping } from '@certctl/core';
import { z } from 'zod';
import { parseDuration } from './duration.js';

const RESOURCE_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** HTTPS, or plain HTTP to a loopback address only (a local emulator or test fake): tokens never cross a network in clear. */
const endpointUrl = z
  .url({ protocol: /^https?$/ })
  .refine((value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || LOOPBACK_HOSTS.has(url.hostname);
  }, 'https, or http to a loopback address')
  .refine((value) => new URL(value).pathname === '/', 'a scheme, host and port without a path');

/** A certificate template's resource name. */
export const CERTIFICATE_TEMPLATE =
  /^projects\/[a-z][a-z0-9-]{4,28}[a-z0-9]\/locations\/[a-z0-9-]+\/certificateTemplates\/[A-Za-z0-9_-]{1,63}$/;

export const googleCasConfigSchema = z.strictObject({
  project: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, 'a GCP project id such as my-project-123')
    .describe('GCP project id'),
  location: z
    .string()
    .regex(/^[a-z]+(-[a-z0-9]+)+$/, 'a GCP region such as us-central1')
    .describe('GCP region of the CA pool, e.g. us-central1'),
  ca_pool: z.string().regex(RESOURCE_ID, 'a CA pool id (lowercase letters, digits, "-")').describe('CA pool id'),
  certificate_authority_id: z
    .string()
    .regex(RESOURCE_ID, 'a CA id (lowercase letters, digits, "-")')
    .optional()
    .describe('Issue from this CA of the pool instead of letting CAS choose'),
  certificate_template: z
    .string()
    .regex(CERTIFICATE_TEMPLATE, 'projects/<project>/locations/<location>/certificateTemplates/<id>')
    .optional()
    .describe('Certificate template applied to every request; a request profile names another'),
  credentials: z
    .string()
    .min(1)
    .optional()
    .describe('Path to a service account key JSON file; without it, the ambient Google credentials (ADC)'),
  ttl: z
    .string()
    .refine((value) => (parseDuration(value) ?? 0) > 0, 'a duration such as 8760h, 720h or 30d')
    .default('8760h')
    .describe("Requested certificate lifetime; a profile's max TTL lowers it"),
  base_url: endpointUrl
    .optional()
    .describe('CAS API endpoint instead of https://privateca.googleapis.com (Private Service Connect)'),
  token_url: z
    .url({ protocol: /^https?$/ })
    .optional()
    .describe('OAuth2 token endpoint for the service account key instead of its token_uri'),
  request_timeout_seconds: z.int().min(1).max(300).default(30).describe('Deadline of each call to Google'),
});

export type GoogleCasIssuerConfig = z.output<typeof googleCasConfigSchema>;

/** The reference names, plus the optional CA, endpoint and token URL in the same style. */
export const googleCasEnvMapping: EnvMapping = {
  CERTCTL_GOOGLE_CAS_PROJECT: 'project',
  CERTCTL_GOOGLE_CAS_LOCATION: 'location',
  CERTCTL_GOOGLE_CAS_CA_POOL: 'ca_pool',
  CERTCTL_GOOGLE_CAS_CREDENTIALS: 'credentials',
  CERTCTL_GOOGLE_CAS_TTL: 'ttl',
  CERTCTL_GOOGLE_CAS_CERTIFICATE_AUTHORITY_ID: 'certificate_authority_id',
  CERTCTL_GOOGLE_CAS_CERTIFICATE_TEMPLATE: 'certificate_template',
  CERTCTL_GOOGLE_CAS_BASE_URL: 'base_url',
  CERTCTL_GOOGLE_CAS_TOKEN_URL: 'token_url',
};
