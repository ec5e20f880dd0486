import { defineServerFeature } from '../server-feature.js';
import { agentHttp01Settings } from './agent-http01-config.js';
import { agentHttp01Routes } from './agent-http01-routes.js';

/** ACME HTTP-01 tokens served by the agent on the target host (issuers with `http_served_by: agent`). */
export const agentHttp01Feature = defineServerFeature({
  name: 'agent-http01',
  settings: agentHttp01Settings,
  setup: ({ deps }) => ({ api: [{ name: 'agent-http01', routes: agentHttp01Routes(deps) }] }),
});
