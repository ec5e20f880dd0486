import { rowsByStatusGauge } from '../status-gauge.js';
import { defineServerFeature } from '../server-feature.js';
import { agentRoutes } from './agent-routes.js';

/** Agents (registration, heartbeats, work polling) and the deploy targets they run. */
export const agentsFeature = defineServerFeature({
  name: 'agents',
  setup: ({ deps }) => ({
    api: [{ name: 'agents', routes: agentRoutes(deps) }],
    gauges: [
      rowsByStatusGauge(deps, 'agents', 'certctl_agents', 'Agents by status (registered, online, offline, retired)'),
    ],
  }),
});
