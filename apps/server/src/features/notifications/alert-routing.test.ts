import { VendorApiError } from '@certctl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { channelsForSeverity, crossedThreshold, defaultSeverityFor, severityForThreshold } from './alert-routing.js';
import { vendorRetryAfterMs } from './notification-dispatch.js';

const DAY = 86_400_000;
const now = new Date('2026-11-23T12:00:00Z');

describe('alert routing rules', () => {
  it('picks the most urgent threshold crossed, by whole days left rounded down', () => {
    const at = (days: number) => new Date(now.getTime() + days * DAY);
    expect(crossedThreshold([30, 14, 7, 0], at(31), now)).toBeUndefined();
    expect(crossedThreshold([30, 14, 7, 0], at(30.9), now)).toBe(30);
    expect(crossedThreshold([30, 14, 7, 0], at(8), now)).toBe(14);
    expect(crossedThreshold([30, 14, 7, 0], at(7.99), now)).toBe(7);
    expect(crossedThreshold([30, 14, 7, 0], at(0.5), now)).toBe(0);
    expect(crossedThreshold([30, 14, 7, 0], at(-3), now)).toBe(0);
    expect(crossedThreshold([], at(-3), now)).toBeUndefined();
  });

  it('never reports a threshold above the days left, and reports one whenever the smallest is reached', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 0, max: 365 }), { maxLength: 8 }),
        fc.integer({ min: -400 * 24, max: 400 * 24 }),
        (thresholds, hoursLeft) => {
          const crossed = crossedThreshold(thresholds, new Date(now.getTime() + hoursLeft * 3_600_000), now);
          const daysLeft = Math.floor(hoursLeft / 24);
          if (crossed !== undefined) {
            expect(thresholds).toContain(crossed);
            expect(daysLeft).toBeLessThanOrEqual(crossed);
            expect(thresholds.filter((t) => daysLeft <= t).every((t) => t >= crossed)).toBe(true);
          } else {
            expect(thresholds.every((t) => daysLeft > t)).toBe(true);
          }
        },
      ),
    );
  });

  it('maps thresholds to severities with the reference defaults, the policy map winning', () => {
    expect([30, 14, 7, 0].map(defaultSeverityFor)).toEqual(['informational', 'warning', 'warning', 'critical']);
    expect(severityForThreshold({ alertSeverityMap: { '7': 'critical' } }, 7)).toBe('critical');
    expect(severityForThreshold({ alertSeverityMap: {} }, 7)).toBe('warning');
  });

  it('routes every tier to Email when the policy has no matrix, and only the listed channels when it has one', () => {
    expect(channelsForSeverity({ alertChannels: {} }, 'critical')).toEqual(['Email']);
    expect(channelsForSeverity(undefined, 'informational')).toEqual(['Email']);
    expect(channelsForSeverity({ alertChannels: { critical: ['PagerDuty'] } }, 'critical')).toEqual(['PagerDuty']);
    expect(channelsForSeverity({ alertChannels: { critical: ['PagerDuty'] } }, 'informational')).toEqual([]);
  });

  it("waits at least as long as the vendor's Retry-After, capped at an hour, and ignores it on other errors", () => {
    const rateLimited = (seconds?: number) =>
      new VendorApiError({
        connector: 'notifier-slack',
        message: 'returned 429',
        status: 429,
        retryAfterSeconds: seconds,
      });
    expect(vendorRetryAfterMs(rateLimited(600))).toBe(600_000);
    expect(vendorRetryAfterMs(rateLimited(86_400))).toBe(3_600_000);
    expect(vendorRetryAfterMs(rateLimited())).toBe(0);
    expect(vendorRetryAfterMs(new Error('Retry-After: 600'))).toBe(0);
  });
});
