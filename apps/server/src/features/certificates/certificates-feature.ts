import { expiryGauges } from './expiry-gauges.js';
import { defineServerFeature } from '../server-feature.js';
import { rowsByStatusGauge } from '../status-gauge.js';
import { certificateRoutes } from './certificate-routes.js';

/** Managed certificates, their versions, issuance requests and revocation. */
export const certificatesFeature = defineServerFeature({
  name: 'certificates',
  setup: ({ deps }) => ({
    api: [{ name: 'certificates', routes: certificateRoutes(deps) }],
    gauges: [
      rowsByStatusGauge(deps, 'certificates', 'certctl_certificates', 'Managed certificates by status'),
      ...expiryGauges(deps),
    ],
  }),
});
