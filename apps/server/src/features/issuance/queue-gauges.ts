import type { ServiceDeps } from '../../shared/service-deps.js';
import type { CollectedGauge } from '../server-feature.js';

/** How long work waits (queue age) and how deployments end, by target type. */
export function queueGauges(deps: Pick<ServiceDeps, 'db' | 'now'>): CollectedGauge[] {
  return [
    {
      name: 'certctl_job_oldest_pending_age_seconds',
      help: 'Age of the oldest job waiting to run (status pending), by job type; 0 when none waits',
      labelNames: ['type'],
      collect: async () => {
        const rows = await deps.db
          .selectFrom('jobs')
          .select(['type', (eb) => eb.fn.min('createdAt').as('oldest')])
          .where('status', '=', 'pending')
          .groupBy('type')
          .execute();
        const now = deps.now().getTime();
        return rows.map((row) => ({
          labels: { type: row.type },
          value: Math.max(0, (now - new Date(row.oldest as unknown as string).getTime()) / 1000),
        }));
      },
    },
    {
      name: 'certctl_deployments',
      help: 'Deployment jobs by target type and status (succeeded, failed, dead, ...)',
      labelNames: ['target_type', 'status'],
      collect: async () => {
        const rows = await deps.db
          .selectFrom('jobs')
          .innerJoin('targets', 'targets.id', 'jobs.targetId')
          .select(['targets.type as targetType', 'jobs.status', (eb) => eb.fn.countAll<number>().as('n')])
          .where('jobs.type', '=', 'deployment')
          .groupBy(['targets.type', 'jobs.status'])
          .execute();
        return rows.map((row) => ({
          labels: { target_type: row.targetType, status: row.status },
          value: Number(row.n),
        }));
      },
    },
  ];
}
