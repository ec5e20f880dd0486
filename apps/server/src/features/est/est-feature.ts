import { defineServerFeature } from '../server-feature.js';
import { estSettings } from './est-config.js';
import { estRouteGroup } from './est-routes.js';

/** EST enrollment (RFC 7030) on the HTTPS listener, for the profiles CERTCTL_EST_* configures. */
export const estFeature = defineServerFeature({
  name: 'est',
  settings: estSettings,
  setup: ({ deps, config, tls }) => {
    const group = config.est && estRouteGroup(deps, config.est, { bodyLimit: config.http.maxBodyBytes, tls });
    if (!group) return {};
    return { api: [group], requestsClientCertificates: config.est?.profiles.some((p) => p.mtlsEnabled) };
  },
});
