import { defineServerFeature } from '../server-feature.js';
import { bulkOperationRoutes } from './bulk-operation-routes.js';
import { processBulkOperation, resumeBulkOperations } from './bulk-operations.js';

/** Bulk revoke, renew and reassign as operations with per-certificate items, worked through in the background. */
export const bulkOperationsFeature = defineServerFeature({
  name: 'bulk-operations',
  setup: ({ deps }) => {
    const inFlight = new Set<Promise<void>>();
    const kick = (operationId: string) => {
      const run = processBulkOperation(deps, operationId)
        .catch((error: unknown) =>
          deps.logger.error(
            { bulk_operation_id: operationId, error: error instanceof Error ? error.message : String(error) },
            'bulk operation stopped; the scheduler resumes it',
          ),
        )
        .finally(() => inFlight.delete(run));
      inFlight.add(run);
    };
    return {
      api: [{ name: 'bulk-operations', routes: bulkOperationRoutes(deps, kick) }],
      loops: [{ name: 'bulk-operations', everyMs: 60_000, atStart: true, run: () => resumeBulkOperations(deps) }],
      async close() {
        await Promise.allSettled([...inFlight]);
      },
    };
  },
});
