import type { ServiceDeps } from '../../shared/service-deps.js';
import type { CollectedGauge } from '../server-feature.js';

/** Per-certificate series are kept for the soonest-expiring ones only, so a large inventory stays cheap to scrape. */
export const MAX_CERTIFICATE_EXPIRY_SERIES = 1000;
const WINDOWS = [
  ['expired', 0],
  ['1d', 86_400],
  ['7d', 7 * 86_400],
  ['14d', 14 * 86_400],
  ['30d', 30 * 86_400],
] as const;

const live = ['revoked', 'archived'] as const;

/** Seconds to expiry per managed certificate, and counts by expiry window (what expiry alerts use). */
export function expiryGauges(deps: Pick<ServiceDeps, 'db' | 'now'>): CollectedGauge[] {
  return [
    {
      name: 'certctl_certificate_expiry_seconds',
      help: `Seconds until each managed certificate expires (negative once expired); the ${MAX_CERTIFICATE_EXPIRY_SERIES} soonest only`,
      labelNames: ['certificate_id', 'name', 'common_name'],
      collect: async () => {
        const now = deps.now().getTime();
        const rows = await deps.db
          .selectFrom('certificates')
          .select(['id', 'name', 'commonName', 'expiresAt'])
          .where('expiresAt', 'is not', null)
          .where('status', 'not in', live)
          .orderBy('expiresAt')
          .limit(MAX_CERTIFICATE_EXPIRY_SERIES)
          .execute();
        return rows.map((row) => ({
          labels: { certificate_id: row.id, name: row.name, common_name: row.commonName },
          value: Math.round((new Date(row.expiresAt as Date).getTime() - now) / 1000),
        }));
      },
    },
    {
      name: 'certctl_certificates_expiring',
      help: 'Managed certificates (not revoked or archived) expiring within each window; "expired" counts those past expiry',
      labelNames: ['within'],
      collect: async () => {
        const now = deps.now().getTime();
        const out: { labels: { within: string }; value: number }[] = [];
        for (const [within, seconds] of WINDOWS) {
          const row = await deps.db
            .selectFrom('certificates')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('expiresAt', 'is not', null)
            .where('status', 'not in', live)
            .where('expiresAt', '<', new Date(now + seconds * 1000))
            .executeTakeFirstOrThrow();
          out.push({ labels: { within }, value: Number(row.n) });
        }
        return out;
      },
    },
  ];
}
