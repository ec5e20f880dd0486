import { defineServerFeature } from '../server-feature.js';
import { acmeServerSettings } from './acme-server-config.js';
import { createAcmeServer } from './acme-routes.js';

/** The ACME server (RFC 8555) on the HTTPS listener, when CERTCTL_ACME_SERVER_ENABLED is set. */
export const acmeFeature = defineServerFeature({
  name: 'acme',
  settings: acmeServerSettings,
  setup: ({ deps, config }) => {
    if (!config.acmeServer.enabled) return {};
    const acme = createAcmeServer({ deps, config: config.acmeServer, publicUrl: config.server.publicUrl });
    return { api: [acme.group], gauges: acme.gauges, close: acme.close };
  },
});
