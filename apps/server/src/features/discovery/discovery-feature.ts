import { defineServerFeature } from '../server-feature.js';
import { discoveryRoutes } from './discovery-routes.js';

/** Certificates agents find that nobody manages, and the scans that found them. */
export const discoveryFeature = defineServerFeature({
  name: 'discovery',
  setup: ({ deps }) => ({ api: [{ name: 'discovery', routes: discoveryRoutes(deps) }] }),
});
