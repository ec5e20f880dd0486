/**
 * The RFC 8555 resources as this server writes them (camelCase JSON, sent by the ACME layer itself):
 * what the ACME routes declare, so the OpenAPI document shows them and tests check every answer.
 */
import { z } from 'zod';

const url = z.string();
const timestamp = z.string().describe('RFC 3339');

/** RFC 7807 problem document with ACME's error URNs (RFC 8555 6.7). */
export const acmeProblemSchema = z
  .object({
    type: z.string().describe('urn:ietf:params:acme:error:<type>'),
    detail: z.string(),
    status: z.number().int(),
    algorithms: z.array(z.string()).optional(),
    subproblems: z.array(z.record(z.string(), z.unknown())).optional(),
  })
  .meta({ id: 'AcmeProblem' });

const identifier = z.object({ type: z.string(), value: z.string() });

export const acmeDirectorySchema = z
  .object({
    newNonce: url,
    newAccount: url,
    newOrder: url,
    revokeCert: url,
    keyChange: url,
    renewalInfo: url,
    meta: z.object({
      termsOfService: url.optional(),
      website: url.optional(),
      externalAccountRequired: z.boolean().optional(),
      profiles: z.record(z.string(), z.string()).describe('ACME profile name → description'),
    }),
  })
  .meta({ id: 'AcmeDirectory' });

export const acmeAccountSchema = z
  .object({
    status: z.enum(['valid', 'deactivated', 'revoked']),
    contact: z.array(z.string()),
    orders: url,
    externalAccountBinding: z.object({ kid: z.string() }).optional(),
  })
  .meta({ id: 'AcmeAccount' });

export const acmeOrderListSchema = z.object({ orders: z.array(url) }).meta({ id: 'AcmeOrderList' });

export const acmeOrderSchema = z
  .object({
    status: z.enum(['pending', 'ready', 'processing', 'valid', 'invalid']),
    expires: timestamp,
    identifiers: z.array(identifier),
    notBefore: timestamp.optional(),
    notAfter: timestamp.optional(),
    error: acmeProblemSchema.optional(),
    authorizations: z.array(url),
    finalize: url,
    certificate: url.optional(),
    replaces: z.string().optional(),
    profile: z.string().optional(),
  })
  .meta({ id: 'AcmeOrder' });

export const acmeChallengeSchema = z
  .object({
    type: z.string(),
    url,
    status: z.enum(['pending', 'processing', 'valid', 'invalid']),
    token: z.string(),
    validated: timestamp.optional(),
    error: acmeProblemSchema.optional(),
  })
  .meta({ id: 'AcmeChallenge' });

export const acmeAuthorizationSchema = z
  .object({
    status: z.enum(['pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked']),
    expires: timestamp,
    identifier,
    challenges: z.array(acmeChallengeSchema),
    wildcard: z.boolean().optional(),
  })
  .meta({ id: 'AcmeAuthorization' });

export const acmeRenewalInfoSchema = z
  .object({ suggestedWindow: z.object({ start: timestamp, end: timestamp }) })
  .meta({ id: 'AcmeRenewalInfo' });
