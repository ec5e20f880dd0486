import { describe, expect, it } from 'vitest';
import { blockedReason, evaluateRules, keyFamilyOf, type PolicySubject } from './policy-evaluation.js';
import type { PolicyRule } from './policy-rule-tables.js';

const rule = (
  type: PolicyRule['type'],
  config: Record<string, unknown>,
  extra: Partial<PolicyRule> = {},
): PolicyRule => ({
  id: `pol-${type}`,
  name: type,
  description: '',
  type,
  config,
  severity: 'warning',
  enforcement: 'enforcing',
  enabled: true,
  createdAt: new Date(0),
  updatedAt: new Date(0),
  ...extra,
});

const subject: PolicySubject = {
  names: ['*.shop.example.com', 'api.example.org'],
  issuerId: 'iss-digicert',
  environment: 'staging',
  ownerId: 'o-1',
  teamId: 't-1',
  tags: { cost_center: '' },
  key: { family: 'RSA', bits: 2048 },
  validitySeconds: 400 * 86_400,
};

describe('policy evaluation', () => {
  it('names what each rule type finds wrong', () => {
    const findings = evaluateRules(
      [
        rule('allowed_issuers', { issuer_ids: ['iss-local'] }),
        rule('key_algorithm', {
          allowed: [
            { algorithm: 'ECDSA', min_size: 256 },
            { algorithm: 'RSA', min_size: 3072 },
          ],
        }),
        rule('max_validity', { max_days: 398 }),
        rule('required_san_patterns', { patterns: ['**.example.com'] }),
        rule('forbid_wildcards', {}),
        rule('required_metadata', { owner: true, tags: ['cost_center'] }),
        rule('allowed_environments', { environments: ['production'] }),
      ],
      subject,
    );
    expect(findings.map((f) => f.message)).toEqual([
      'policy "allowed_issuers" (allowed_issuers): issuer iss-digicert is not allowed (allowed: iss-local)',
      'policy "key_algorithm" (key_algorithm): RSA key of 2048 bits is below the minimum of 3072',
      'policy "max_validity" (max_validity): validity of 400 days exceeds the maximum of 398',
      'policy "required_san_patterns" (required_san_patterns): api.example.org does not match the required patterns (**.example.com)',
      'policy "forbid_wildcards" (forbid_wildcards): wildcard names are forbidden: *.shop.example.com',
      'policy "required_metadata" (required_metadata): missing tag cost_center',
      'policy "allowed_environments" (allowed_environments): environment "staging" is not allowed (allowed: production)',
    ]);
    expect(blockedReason(findings.slice(1, 2))).toBe(
      'refused by policy: policy "key_algorithm" (key_algorithm): RSA key of 2048 bits is below the minimum of 3072',
    );
  });

  it('passes what complies, skips disabled rules, and leaves facts it does not have unjudged', () => {
    const rules = [
      rule('key_algorithm', { allowed: [{ algorithm: 'ECDSA', min_size: 256 }] }),
      rule('max_validity', { max_days: 90 }),
      rule('forbid_wildcards', {}, { enabled: false }),
    ];
    expect(evaluateRules(rules, { names: ['*.example.com'], key: { family: 'ECDSA', bits: 256 } })).toEqual([]);
    expect(evaluateRules(rules, { names: ['a.example.com'] })).toEqual([]);
    expect(evaluateRules(rules, { names: ['a.example.com'], key: { family: 'Ed25519', bits: 255 } })[0]?.message).toBe(
      'policy "key_algorithm" (key_algorithm): Ed25519 keys are not allowed (allowed: ECDSA>=256)',
    );
  });

  it('reads the key names versions and CSRs carry', () => {
    expect(['rsa', 'rsa-2048', 'ec', 'ecdsa-p256', 'ed25519'].map(keyFamilyOf)).toEqual([
      'RSA',
      'RSA',
      'ECDSA',
      'ECDSA',
      'Ed25519',
    ]);
  });
});
