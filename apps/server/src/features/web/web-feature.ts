import { defineRouteGroup } from '../../http/route-spec.js';
import { defineServerFeature } from '../server-feature.js';
import { loadWebBundle, locateWebDist } from './web-assets.js';
import { webFallback, webRoutes } from './web-routes.js';
import { webSettings } from './web-settings.js';

/**
 * The web dashboard (`apps/web`, package `@certctl/web`) at `/` of the HTTPS listener: index.html
 * (no-cache), hashed assets (a year), client-side paths falling back to index.html, all under a CSP
 * without `unsafe-inline`. A server without a built dashboard still starts; `/` then says how to build it.
 */
export const webFeature = defineServerFeature({
  name: 'web',
  settings: webSettings,
  setup({ config, deps }) {
    if (!config.web.enabled) return {};
    const dir = locateWebDist(config.web.dir);
    const bundle = loadWebBundle(dir);
    if (!bundle) deps.logger.info({ dir }, 'web dashboard not built; / answers how to build it');
    return { api: [defineRouteGroup({ name: 'web', routes: webRoutes(bundle) })], pageFallback: webFallback(bundle) };
  },
});
