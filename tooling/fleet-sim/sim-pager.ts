/**
 * The simulated incident tool: a notifier connector with `resolve` (as PagerDuty and OpsGenie have),
 * registered under the `pagerduty` type so policies route to it through the `PagerDuty` channel. It
 * records every page and every resolve on the simulated clock.
 */
import { defineNotifier } from '../../packages/core/src/index.ts';
import { z } from 'zod';

export interface PageRecord {
  at: Date;
  event: string;
  severity: string;
  incidentKey: string;
  certificateId?: string;
  subject: string;
}

export interface SimPager {
  manifest: ReturnType<typeof defineNotifier>;
  pages: PageRecord[];
  /** Incident key → when it was resolved. */
  resolved: Map<string, Date>;
}

export function createSimPager(now: () => Date): SimPager {
  const pages: PageRecord[] = [];
  const resolved = new Map<string, Date>();
  const manifest = defineNotifier({
    specificationVersion: 'v1',
    id: 'pagerduty',
    displayName: 'Simulated incident tool',
    version: '0.0.0',
    configSchema: z.object({ service: z.string().min(1) }).strict(),
    capabilities: { resolve: true },
    create: () => ({
      async send(notification) {
        pages.push({
          at: now(),
          event: notification.event,
          severity: notification.severity,
          incidentKey: notification.dedupKey,
          certificateId: notification.certificate?.id,
          subject: notification.subject,
        });
        return { detail: 'paged' };
      },
      async resolve(dedupKey) {
        if (!resolved.has(dedupKey)) resolved.set(dedupKey, now());
      },
    }),
  });
  return { manifest, pages, resolved };
}
