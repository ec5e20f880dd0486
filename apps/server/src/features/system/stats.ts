import { sql } from 'kysely';
import type { ServiceDeps } from '../../shared/service-deps.js';

export async function certificatesByStatus(deps: ServiceDeps): Promise<Record<string, number>> {
  const rows = await deps.db
    .selectFrom('certificates')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  return Object.fromEntries(rows.map((r) => [r.status, Number(r.n)]));
}

export async function statsSummary(deps: ServiceDeps) {
  const byStatus = await certificatesByStatus(deps);
  const total = Object.values(byStatus).reduce((a, b) => a + b, 0);
  const jobs = await deps.db
    .selectFrom('jobs')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .groupBy('status')
    .execute();
  const agents = await deps.db
    .selectFrom('agents')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('retiredAt', 'is', null)
    .groupBy('status')
    .execute();
  const pendingApprovals = await deps.db
    .selectFrom('approvals')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('state', '=', 'pending')
    .executeTakeFirstOrThrow();
  const expiringSoon = await deps.db
    .selectFrom('certificates')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('status', 'not in', ['archived', 'revoked'])
    .where('expiresAt', '<', new Date(deps.now().getTime() + 30 * 86_400_000))
    .executeTakeFirstOrThrow();
  return {
    certificates: { total, byStatus, expiringWithin30Days: Number(expiringSoon.n) },
    jobs: Object.fromEntries(jobs.map((r) => [r.status, Number(r.n)])),
    agents: Object.fromEntries(agents.map((r) => [r.status, Number(r.n)])),
    pendingApprovals: Number(pendingApprovals.n),
  };
}

/** Certificates expiring per week over the next `weeks` weeks. */
export async function expirationTimeline(deps: ServiceDeps, weeks: number) {
  const now = deps.now();
  const rows = await deps.db
    .selectFrom('certificates')
    .select([
      sql<number>`floor(extract(epoch from (expires_at - ${now}::timestamptz)) / 604800)::int`.as('week'),
      (eb) => eb.fn.countAll<number>().as('n'),
    ])
    .where('status', 'not in', ['archived', 'revoked'])
    .where('expiresAt', '>=', now)
    .where('expiresAt', '<', new Date(now.getTime() + weeks * 604_800_000))
    .groupBy('week')
    .execute();
  return Array.from({ length: weeks }, (_, week) => ({
    weekStart: new Date(now.getTime() + week * 604_800_000),
    count: Number(rows.find((r) => Number(r.week) === week)?.n ?? 0),
  }));
}

/** Versions issued per day over the last `days` days. */
export async function issuanceRate(deps: ServiceDeps, days: number) {
  const since = new Date(deps.now().getTime() - days * 86_400_000);
  const rows = await deps.db
    .selectFrom('certificateVersions')
    .select([
      sql<string>`to_char(date_trunc('day', created_at at time zone 'UTC'), 'YYYY-MM-DD')`.as('day'),
      (eb) => eb.fn.countAll<number>().as('n'),
    ])
    .where('createdAt', '>=', since)
    .groupBy('day')
    .orderBy('day')
    .execute();
  return rows.map((r) => ({ day: r.day, count: Number(r.n) }));
}
