import { defineServerFeature } from '../server-feature.js';
import { createCloudDiscoveryRuntime, runDueDiscoverySources } from './cloud-discovery.js';
import { cloudDiscoveryRoutes } from './cloud-discovery-routes.js';
import { cloudDiscoverySettings } from './cloud-discovery-settings.js';

/** Discovery connectors (cloud secret stores) run by the server on their interval, feeding the triage. */
export const cloudDiscoveryFeature = defineServerFeature({
  name: 'cloud-discovery',
  settings: cloudDiscoverySettings,
  setup: ({ deps, config }) => {
    const runtime = createCloudDiscoveryRuntime(deps, config.cloudDiscovery);
    return {
      api: [{ name: 'cloud-discovery', routes: cloudDiscoveryRoutes(deps, runtime) }],
      loops: [
        {
          name: 'discoverySources',
          everyMs: 60_000,
          leaderLockKey: 7_302_103,
          run: () => runDueDiscoverySources(deps, runtime),
        },
      ],
      close: () => runtime.sources.stopAll(),
    };
  },
});
