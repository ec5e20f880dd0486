import { defineServerFeature } from '../server-feature.js';
import { adminViewRoutes } from './admin-view-routes.js';

/** The dashboard's job trends, notifications mark-as-read, and the admin views (CRL cache, EST and SCEP profiles, trust bundles). */
export const adminViewsFeature = defineServerFeature({
  name: 'admin-views',
  setup: ({ deps, config }) => ({ api: [{ name: 'admin-views', routes: adminViewRoutes(deps, config) }] }),
});
