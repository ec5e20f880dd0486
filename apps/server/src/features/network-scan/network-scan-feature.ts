import { defineServerFeature } from '../server-feature.js';
import { createNetworkScanRuntime, runDueScans } from './network-scan.js';
import { networkScanRoutes } from './network-scan-routes.js';
import { createScepProbeCounter } from './scep-probe.js';

/** Active TLS scanning of address ranges and host names; findings go to the discovery triage. */
export const networkScanFeature = defineServerFeature({
  name: 'network-scan',
  setup: ({ deps }) => {
    const runtime = createNetworkScanRuntime(deps);
    return {
      api: [{ name: 'network-scan', routes: networkScanRoutes(deps, runtime, createScepProbeCounter(deps)) }],
      loops: [
        { name: 'networkScan', everyMs: 60_000, leaderLockKey: 7_302_101, run: () => runDueScans(deps, runtime) },
      ],
      gauges: [
        {
          name: 'certctl_network_scan_targets',
          help: 'Network scan targets by enabled state',
          labelNames: ['enabled'],
          collect: async () => {
            const rows = await deps.db
              .selectFrom('networkScanTargets')
              .select(['enabled', (eb) => eb.fn.countAll<number>().as('n')])
              .groupBy('enabled')
              .execute();
            return rows.map((r) => ({ labels: { enabled: String(r.enabled) }, value: Number(r.n) }));
          },
        },
      ],
      async close() {
        for (const { controller } of runtime.running.values()) controller.abort();
        await Promise.all([...runtime.running.values()].map((r) => r.done));
      },
    };
  },
});
