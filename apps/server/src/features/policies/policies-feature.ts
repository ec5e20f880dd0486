import { defineServerFeature } from '../server-feature.js';
import { policyRoutes } from './policy-routes.js';

/** Certificate profiles (what may be issued) and renewal policies (when and how to renew). */
export const policiesFeature = defineServerFeature({
  name: 'policies',
  setup: ({ deps }) => ({ api: [{ name: 'policies', routes: policyRoutes(deps) }] }),
});
