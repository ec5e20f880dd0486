import { z } from 'zod';
import type { PolicyRuleType } from './policy-rule-tables.js';

const keyAlgorithm = z.enum(['RSA', 'ECDSA', 'Ed25519']);

/** Each rule type's parameters (wire form). The API checks a rule's `config` with the schema of its `type`. */
export const RULE_CONFIG_SCHEMAS = {
  allowed_issuers: z
    .object({ issuer_ids: z.array(z.string().min(1).max(200)).min(1).max(200) })
    .strict()
    .describe('the certificate must come from one of these issuers'),
  key_algorithm: z
    .object({
      allowed: z
        .array(z.object({ algorithm: keyAlgorithm, min_size: z.number().int().min(0).max(16_384).optional() }).strict())
        .min(1)
        .max(10),
    })
    .strict()
    .describe('the key must be one of these algorithms, at least min_size bits (RSA modulus, EC curve size)'),
  max_validity: z
    .object({ max_days: z.number().int().min(1).max(36_500) })
    .strict()
    .describe('the validity (notBefore..notAfter, or the profile TTL asked for) must not exceed max_days'),
  required_san_patterns: z
    .object({ patterns: z.array(z.string().min(1).max(253)).min(1).max(100) })
    .strict()
    .describe('every name must match one pattern; *.example.com matches one label, **.example.com any depth'),
  forbid_wildcards: z.object({}).strict().describe('no name may be a wildcard (*.example.com)'),
  required_metadata: z
    .object({
      owner: z.boolean().optional(),
      team: z.boolean().optional(),
      tags: z.array(z.string().min(1).max(100)).max(50).optional(),
    })
    .strict()
    .describe('the certificate must have an owner and/or a team, and these tags set'),
  allowed_environments: z
    .object({ environments: z.array(z.string().max(100)).min(1).max(100) })
    .strict()
    .describe('the certificate environment must be one of these'),
} satisfies Record<PolicyRuleType, z.ZodType>;

export type RuleConfigs = { [K in PolicyRuleType]: z.infer<(typeof RULE_CONFIG_SCHEMAS)[K]> };
