import { defineServerFeature } from '../server-feature.js';
import { metaRoutes } from './meta-routes.js';
import { metricsRoute, publicRoutes } from './system-routes.js';

/** Health, readiness, metrics, the version and how to authenticate. */
export const systemFeature = defineServerFeature({
  name: 'system',
  setup: ({ deps, version }) => ({
    api: [{ name: 'system', routes: [...publicRoutes(deps), metricsRoute(deps), ...metaRoutes({ version })] }],
    pki: [{ name: 'system', routes: publicRoutes(deps) }],
  }),
});
