import { defineServerFeature } from '../server-feature.js';
import { healthCheckRoutes } from './health-check-routes.js';
import { createHealthRuntime, runDueHealthChecks } from './health-checks.js';

/** Endpoint health monitoring: TLS endpoints checked against the certificate certctl deployed. */
export const healthChecksFeature = defineServerFeature({
  name: 'health-checks',
  setup: ({ deps }) => {
    const runtime = createHealthRuntime(deps);
    return {
      api: [{ name: 'health-checks', routes: healthCheckRoutes(deps, runtime) }],
      loops: [
        {
          name: 'healthChecks',
          everyMs: 60_000,
          leaderLockKey: 7_302_102,
          run: () => runDueHealthChecks(deps, runtime),
        },
      ],
      gauges: [
        {
          name: 'certctl_health_checks',
          help: 'Endpoint health checks by status',
          labelNames: ['status'],
          collect: async () => {
            const rows = await deps.db
              .selectFrom('endpointHealthChecks')
              .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
              .groupBy('status')
              .execute();
            return rows.map((r) => ({ labels: { status: r.status }, value: Number(r.n) }));
          },
        },
      ],
    };
  },
});
