import type { NotificationEvent } from '@certctl/core';
import type { AlertSeverity, RenewalPolicy } from '../../db/tables.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { ServiceError } from '../../shared/service-errors.js';

export const ALERT_SEVERITIES = ['informational', 'warning', 'critical'] as const satisfies readonly AlertSeverity[];

/** The reference's channel names; a channel is served by every enabled notifier instance of that connector type. */
export const KNOWN_CHANNELS = ['Email', 'Webhook', 'Slack', 'Teams', 'PagerDuty', 'OpsGenie'] as const;

export const DEFAULT_THRESHOLDS_DAYS = [30, 14, 7, 0];

/** Used for any threshold the policy's map does not name. */
export function defaultSeverityFor(thresholdDays: number): AlertSeverity {
  if (thresholdDays <= 0) return 'critical';
  if (thresholdDays <= 14) return 'warning';
  return 'informational';
}

/** What a policy with no channel matrix routes: every tier to Email (the owner's address by default). */
export const DEFAULT_ALERT_CHANNELS: Readonly<Record<AlertSeverity, readonly string[]>> = {
  informational: ['Email'],
  warning: ['Email'],
  critical: ['Email'],
};

/** How loud each lifecycle event is; the certificate's policy matrix then picks the channels. */
export const EVENT_SEVERITY: Readonly<Partial<Record<NotificationEvent, AlertSeverity>>> = {
  issued: 'informational',
  renewed: 'informational',
  renewal_failed: 'critical',
  deploy_failed: 'critical',
  revoked: 'warning',
  agent_offline: 'warning',
  policy_violation: 'warning',
};

/** The connector type a channel name stands for (`PagerDuty` → `pagerduty`). */
export function channelType(channel: string): string {
  return channel.toLowerCase();
}

export function severityForThreshold(
  policy: Pick<RenewalPolicy, 'alertSeverityMap'>,
  thresholdDays: number,
): AlertSeverity {
  return policy.alertSeverityMap?.[String(thresholdDays)] ?? defaultSeverityFor(thresholdDays);
}

export function channelsForSeverity(
  policy: Pick<RenewalPolicy, 'alertChannels'> | undefined,
  severity: AlertSeverity,
): readonly string[] {
  const matrix = policy?.alertChannels ?? {};
  const configured = Object.values(matrix).some((list) => list && list.length > 0);
  return configured ? (matrix[severity] ?? []) : DEFAULT_ALERT_CHANNELS[severity];
}

/**
 * The most urgent threshold a certificate has crossed: whole days left (rounded down) at or below
 * it. Only that one alerts, so a certificate first seen at 5 days left does not also send its 30-
 * and 14-day alerts. Undefined when none is crossed yet.
 */
export function crossedThreshold(thresholdsDays: readonly number[], expiresAt: Date, now: Date): number | undefined {
  const daysLeft = Math.floor((expiresAt.getTime() - now.getTime()) / 86_400_000);
  const crossed = thresholdsDays.filter((t) => daysLeft <= t);
  return crossed.length > 0 ? Math.min(...crossed) : undefined;
}

/** Canonical spelling of a channel name, or undefined when neither a reference name nor an installed notifier type. */
export function canonicalChannel(deps: Pick<ServiceDeps, 'registry'>, channel: string): string | undefined {
  const known = KNOWN_CHANNELS.find((c) => c.toLowerCase() === channel.toLowerCase());
  if (known) return known;
  return deps.registry.list('notifier').some((entry) => entry.id === channel.toLowerCase())
    ? channel.toLowerCase()
    : undefined;
}

export interface AlertRoutingInput {
  alertThresholdsDays?: number[];
  alertChannels?: Partial<Record<string, string[]>>;
  alertSeverityMap?: Record<string, string>;
}

/**
 * Rejects off-list tiers, channels and threshold keys when a policy is written (400 naming each
 * bad value); returns the matrix with channel names in their canonical spelling.
 */
export function normaliseAlertRouting<T extends AlertRoutingInput>(deps: Pick<ServiceDeps, 'registry'>, input: T): T {
  const problems: string[] = [];
  const out = { ...input };
  if (input.alertThresholdsDays)
    out.alertThresholdsDays = [...new Set(input.alertThresholdsDays)].sort((a, b) => b - a);
  if (input.alertChannels) {
    const channels: Partial<Record<AlertSeverity, string[]>> = {};
    for (const [tier, list] of Object.entries(input.alertChannels)) {
      if (!(ALERT_SEVERITIES as readonly string[]).includes(tier)) {
        problems.push(`alert_channels.${tier}: not a severity (use ${ALERT_SEVERITIES.join(', ')})`);
        continue;
      }
      const canonical: string[] = [];
      for (const channel of list ?? []) {
        const name = canonicalChannel(deps, channel);
        if (!name)
          problems.push(
            `alert_channels.${tier}: "${channel}" is not a channel (use ${KNOWN_CHANNELS.join(', ')} or an installed notifier type)`,
          );
        else if (!canonical.includes(name)) canonical.push(name);
      }
      channels[tier as AlertSeverity] = canonical;
    }
    out.alertChannels = channels;
  }
  if (input.alertSeverityMap) {
    for (const [threshold, tier] of Object.entries(input.alertSeverityMap)) {
      if (!/^\d{1,3}$/.test(threshold))
        problems.push(`alert_severity_map.${threshold}: keys are thresholds in whole days`);
      if (!(ALERT_SEVERITIES as readonly string[]).includes(tier))
        problems.push(
          `alert_severity_map.${threshold}: "${tier}" is not a severity (use ${ALERT_SEVERITIES.join(', ')})`,
        );
    }
  }
  if (problems.length > 0)
    throw new ServiceError(400, 'validation_failed', `invalid alert routing: ${problems.join('; ')}`, problems);
  return out;
}
