import { defineServerFeature } from '../server-feature.js';
import { agentGroupRoutes } from './agent-group-routes.js';

/** Agent groups (OS, architecture, hostname pattern, labels; include/exclude), agent labels, targets deployed by a group. */
export const agentGroupsFeature = defineServerFeature({
  name: 'agent-groups',
  setup: ({ deps }) => ({ api: [{ name: 'agent-groups', routes: agentGroupRoutes(deps) }] }),
});
