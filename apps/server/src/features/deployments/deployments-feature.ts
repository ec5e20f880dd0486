import { defineServerFeature } from '../server-feature.js';
import { deploymentRoutes } from './deployment-routes.js';

/** Deployments as jobs of their own: deploy now without renewing, history per certificate and target, verification. */
export const deploymentsFeature = defineServerFeature({
  name: 'deployments',
  setup: ({ deps }) => ({
    api: [{ name: 'deployments', routes: deploymentRoutes(deps) }],
  }),
});
