import { ensureDefaultAcmeProfile } from './acme-default-profile.js';
import { defineServerFeature } from '../server-feature.js';
import { acmeServerSettings } from './acme-server-config.js';
import { createAcmeServer } from './acme-routes.js';

/** The ACME server (RFC 8555) on the HTTPS listener, when CERTCTL_ACME_SERVER_ENABLED is set. */
export const acmeFeature = defineServerFeature({
  name: 'acme',
  settings: acmeServerSettings,
  setup: async ({ deps, config }) => {
    if (!config.acmeServer.enabled) return {};
    const defaultProfileId = config.acmeServer.defaultProfileId ?? (await ensureDefaultAcmeProfile(deps));
    const acme = createAcmeServer({
      deps,
      config: { ...config.acmeServer, defaultProfileId },
      publicUrl: config.server.publicUrl,
    });
    return { api: [acme.group], gauges: acme.gauges, close: acme.close };
  },
});
