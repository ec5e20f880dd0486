import { matchesSanPattern } from '../certificates/certificate-names.js';
import type { RuleConfigs } from './policy-rule-configs.js';
import type { PolicyRule } from './policy-rule-tables.js';

export type KeyFamily = 'RSA' | 'ECDSA' | 'Ed25519';

/** What rules look at: a certificate as stored, or one being asked for. Absent facts are not judged. */
export interface PolicySubject {
  names: string[];
  issuerId?: string;
  environment?: string;
  ownerId?: string | null;
  teamId?: string | null;
  tags?: Record<string, string>;
  key?: { family: KeyFamily | string; bits: number };
  validitySeconds?: number;
}

export interface PolicyFinding {
  rule: PolicyRule;
  /** Why, in one sentence naming the rule: the same text on every path that reports it. */
  message: string;
}

/** `rsa`, `rsa-2048`, `ec`, `ecdsa-p256`, `ed25519` (pki's names, as versions store them) → the rule family. */
export function keyFamilyOf(algorithm: string): KeyFamily | string {
  const a = algorithm.toLowerCase();
  if (a.startsWith('rsa')) return 'RSA';
  if (a === 'ec' || a.startsWith('ecdsa')) return 'ECDSA';
  if (a.startsWith('ed25519')) return 'Ed25519';
  return algorithm;
}

function problemOf(rule: PolicyRule, subject: PolicySubject): string | undefined {
  switch (rule.type) {
    case 'allowed_issuers': {
      const config = rule.config as RuleConfigs['allowed_issuers'];
      if (subject.issuerId === undefined || config.issuer_ids.includes(subject.issuerId)) return undefined;
      return `issuer ${subject.issuerId} is not allowed (allowed: ${config.issuer_ids.join(', ')})`;
    }
    case 'key_algorithm': {
      const config = rule.config as RuleConfigs['key_algorithm'];
      if (!subject.key) return undefined;
      const allowed = config.allowed.filter((a) => a.algorithm === subject.key!.family);
      if (allowed.length === 0)
        return `${subject.key.family} keys are not allowed (allowed: ${config.allowed.map((a) => `${a.algorithm}${a.min_size ? `>=${a.min_size}` : ''}`).join(', ')})`;
      const minimum = Math.min(...allowed.map((a) => a.min_size ?? 0));
      if (subject.key.bits < minimum)
        return `${subject.key.family} key of ${subject.key.bits} bits is below the minimum of ${minimum}`;
      return undefined;
    }
    case 'max_validity': {
      const config = rule.config as RuleConfigs['max_validity'];
      if (subject.validitySeconds === undefined) return undefined;
      const days = subject.validitySeconds / 86_400;
      if (days <= config.max_days) return undefined;
      return `validity of ${Math.ceil(days)} days exceeds the maximum of ${config.max_days}`;
    }
    case 'required_san_patterns': {
      const config = rule.config as RuleConfigs['required_san_patterns'];
      const outside = subject.names.filter((n) => !config.patterns.some((p) => matchesSanPattern(n, p)));
      if (outside.length === 0) return undefined;
      return `${outside.join(', ')} ${outside.length === 1 ? 'does' : 'do'} not match the required patterns (${config.patterns.join(', ')})`;
    }
    case 'forbid_wildcards': {
      const wildcards = subject.names.filter((n) => n.includes('*'));
      if (wildcards.length === 0) return undefined;
      return `wildcard names are forbidden: ${wildcards.join(', ')}`;
    }
    case 'required_metadata': {
      const config = rule.config as RuleConfigs['required_metadata'];
      const missing: string[] = [];
      if (config.owner && subject.ownerId === null) missing.push('owner');
      if (config.team && subject.teamId === null) missing.push('team');
      if (subject.tags) for (const tag of config.tags ?? []) if (!subject.tags[tag]) missing.push(`tag ${tag}`);
      if (missing.length === 0) return undefined;
      return `missing ${missing.join(', ')}`;
    }
    case 'allowed_environments': {
      const config = rule.config as RuleConfigs['allowed_environments'];
      if (subject.environment === undefined || config.environments.includes(subject.environment)) return undefined;
      return `environment "${subject.environment}" is not allowed (allowed: ${config.environments.join(', ')})`;
    }
  }
}

/** Every enabled rule the subject breaks, in the order given. Pure: nothing is recorded here. */
export function evaluateRules(rules: readonly PolicyRule[], subject: PolicySubject): PolicyFinding[] {
  const findings: PolicyFinding[] = [];
  for (const rule of rules) {
    if (!rule.enabled) continue;
    const problem = problemOf(rule, subject);
    if (problem) findings.push({ rule, message: `policy "${rule.name}" (${rule.type}): ${problem}` });
  }
  return findings;
}

/** The reason an issuance is refused: the same text on the API, ACME, EST, SCEP and agent paths. */
export function blockedReason(findings: readonly PolicyFinding[]): string {
  return `refused by policy: ${findings.map((f) => f.message).join('; ')}`;
}
