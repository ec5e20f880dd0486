import { defineServerFeature } from '../server-feature.js';
import { evaluateInventory } from './policy-enforcement.js';
import { policyRuleRoutes } from './policy-rule-routes.js';

/** Hourly: the scheduled evaluation of the whole inventory against the enabled rules. */
export const POLICY_EVALUATION_INTERVAL_MS = 3_600_000;

/**
 * Compliance rules (allowed issuers, key minimums, max validity, SAN patterns, wildcards, metadata,
 * environments), enforcing or advisory, checked on every issuance path and over the inventory;
 * their violations are listed, audited and alerted once.
 */
export const policyRulesFeature = defineServerFeature({
  name: 'policy-rules',
  setup: ({ deps }) => ({
    api: [{ name: 'policy-rules', routes: policyRuleRoutes(deps) }],
    loops: [
      {
        name: 'policyEvaluation',
        everyMs: POLICY_EVALUATION_INTERVAL_MS,
        atStart: true,
        leaderLockKey: 7_302_091,
        run: () => evaluateInventory(deps),
      },
    ],
  }),
});
