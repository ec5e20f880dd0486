import type { Generated, Selectable } from 'kysely';
import type { CreatedAt, Json, JsonWithDefault, Timestamp, UpdatedAt } from '../../db/column-types.js';

export const POLICY_RULE_TYPES = [
  'allowed_issuers',
  'key_algorithm',
  'max_validity',
  'required_san_patterns',
  'forbid_wildcards',
  'required_metadata',
  'allowed_environments',
] as const;
export type PolicyRuleType = (typeof POLICY_RULE_TYPES)[number];

/** The reference's severities, lower-cased. */
export const POLICY_SEVERITIES = ['warning', 'error', 'critical'] as const;
export type PolicySeverity = (typeof POLICY_SEVERITIES)[number];

/** `enforcing` rules refuse issuance; `advisory` rules only report. */
export const POLICY_ENFORCEMENTS = ['enforcing', 'advisory'] as const;
export type PolicyEnforcement = (typeof POLICY_ENFORCEMENTS)[number];

export interface PolicyRulesTable {
  id: string;
  name: string;
  description: Generated<string>;
  type: PolicyRuleType;
  /** The rule's parameters, in their wire (snake_case) form; checked by the rule type's schema. */
  config: JsonWithDefault<Record<string, unknown>>;
  severity: Generated<PolicySeverity>;
  enforcement: Generated<PolicyEnforcement>;
  enabled: Generated<boolean>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export type ViolationStatus = 'open' | 'resolved';

/**
 * One rule broken by one subject: a certificate in the inventory, or an issuance request (a
 * certificate's, or a protocol enrolment's names when the refused request left no certificate).
 * Later sightings of the same (rule, subject) update the row; it is alerted once.
 */
export interface PolicyViolationsTable {
  id: string;
  ruleId: string;
  /** `inventory:<certificate>`, `issuance:<certificate>` or `issuance:names:<names>`: what makes two sightings one violation. */
  subjectKey: string;
  certificateId: string | null;
  /** The names of the subject (common name first). */
  names: JsonWithDefault<string[]>;
  /** Where it was seen: an issuance trigger (`acme`, `csr_submitted`, `est_simpleenroll` ...), `import`, `discovery_claim`, `inventory`. */
  source: string;
  severity: PolicySeverity;
  enforcement: PolicyEnforcement;
  /** The last sighting was an issuance the rule refused. */
  blocked: Generated<boolean>;
  message: string;
  status: Generated<ViolationStatus>;
  occurrences: Generated<number>;
  firstSeenAt: CreatedAt;
  lastSeenAt: Timestamp;
  resolvedAt: Timestamp | null;
  alertedAt: Timestamp | null;
  details: Json<Record<string, unknown>> | null;
}

export interface PolicyRuleTables {
  policyRules: PolicyRulesTable;
  policyViolations: PolicyViolationsTable;
}

export type PolicyRule = Selectable<PolicyRulesTable>;
export type PolicyViolation = Selectable<PolicyViolationsTable>;
