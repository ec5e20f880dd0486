import { defineServerFeature } from '../server-feature.js';
import { workflowRoutes } from './workflow-routes.js';

/** Approvals, jobs, audit events, API keys and the dashboard's statistics. */
export const workflowFeature = defineServerFeature({
  name: 'workflow',
  setup: ({ deps }) => ({
    api: [{ name: 'workflow', routes: workflowRoutes(deps) }],
    gauges: [
      {
        name: 'certctl_approvals_pending',
        help: 'Approval requests waiting for a decision',
        labelNames: [],
        collect: async () => {
          const row = await deps.db
            .selectFrom('approvals')
            .select((eb) => eb.fn.countAll<number>().as('n'))
            .where('state', '=', 'pending')
            .executeTakeFirstOrThrow();
          return [{ value: Number(row.n) }];
        },
      },
    ],
  }),
});
