import { defineServerFeature } from '../server-feature.js';
import { registerServerTlsCertificate } from './server-tls-inventory.js';

/** The server's own HTTPS certificate, when the local CA issued it, is in the inventory and known to OCSP. */
export const serverTlsFeature = defineServerFeature({
  name: 'server-tls',
  setup: async ({ deps, tls }) => {
    const outcome = await registerServerTlsCertificate(deps, tls);
    if (!outcome.registered)
      deps.logger.debug({ reason: outcome.reason }, 'server TLS certificate not in the inventory');
    return {};
  },
});
