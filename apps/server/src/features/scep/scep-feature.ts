import { defineServerFeature } from '../server-feature.js';
import { scepSettings } from './scep-config.js';
import { SCEP_BODIES } from './scep-body-parsing.js';
import { scepRoutes } from './scep-routes.js';
import { createScepEndpoints, scepGauges } from './scep-setup.js';

/** SCEP (RFC 8894) on both listeners, with Intune dynamic challenges and the `/scep-mtls` routes. */
export const scepFeature = defineServerFeature({
  name: 'scep',
  settings: scepSettings,
  setup: ({ deps, config }) => {
    const endpoints = createScepEndpoints(config.scep, deps.logger, deps.trustBundles);
    if (endpoints.size === 0) return {};
    return {
      api: [{ name: 'scep', routes: scepRoutes(deps, endpoints, { mtls: true }), bodies: SCEP_BODIES }],
      pki: [{ name: 'scep', routes: scepRoutes(deps, endpoints), bodies: SCEP_BODIES }],
      gauges: scepGauges(endpoints),
      requestsClientCertificates: config.scep?.profiles.some((p) => p.mtlsTrustBundlePath) ?? false,
    };
  },
});
