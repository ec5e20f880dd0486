import type { ServiceDeps } from '../shared/service-deps.js';
import type { CollectedGauge } from './server-feature.js';

type TableWithStatus = 'certificates' | 'jobs' | 'notificationOutbox' | 'acmeOrders' | 'agents';

/** A gauge of a table's rows by their `status` column, counted when `/metrics` is scraped. */
export function rowsByStatusGauge(
  deps: Pick<ServiceDeps, 'db'>,
  table: TableWithStatus,
  name: string,
  help: string,
): CollectedGauge {
  return {
    name,
    help,
    labelNames: ['status'],
    collect: async () => {
      const rows = await deps.db
        .selectFrom(table as 'jobs')
        .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
        .groupBy('status')
        .execute();
      return rows.map((r) => ({ labels: { status: r.status }, value: Number(r.n) }));
    },
  };
}
