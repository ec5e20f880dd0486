import { defineServerFeature } from '../server-feature.js';
import { caHierarchyRoutes } from './ca-hierarchy-routes.js';
import { issuerImportRoutes } from './issuer-import-routes.js';
import { issuerRoutes } from './issuer-routes.js';

/** Issuer instances (connector configs), importing what a CA already holds, and the local CA hierarchy (intermediates). */
export const issuersFeature = defineServerFeature({
  name: 'issuers',
  setup: ({ deps }) => ({
    api: [
      { name: 'issuers', routes: [...issuerRoutes(deps), ...issuerImportRoutes(deps), ...caHierarchyRoutes(deps)] },
    ],
  }),
});
