import { defineServerFeature } from '../server-feature.js';
import { ownershipRoutes } from './ownership-routes.js';

/** Teams and owners: who a certificate belongs to and who hears about it. */
export const ownershipFeature = defineServerFeature({
  name: 'ownership',
  setup: ({ deps }) => ({ api: [{ name: 'ownership', routes: ownershipRoutes(deps) }] }),
});
