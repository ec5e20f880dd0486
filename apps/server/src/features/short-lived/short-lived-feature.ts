import { defineServerFeature } from '../server-feature.js';
import { shortLivedRoutes } from './short-lived-routes.js';

/**
 * Short-lived certificates: listed with their remaining TTL. Their rules live where they apply: no
 * revocation (certificates/revocation), no expiry alerts (notifications/expiry-alerts), expired by
 * the issuance feature's `expiry` loop (CERTCTL_SHORT_LIVED_EXPIRY_CHECK_INTERVAL, 30 s).
 */
export const shortLivedFeature = defineServerFeature({
  name: 'short-lived',
  setup: ({ deps }) => ({ api: [{ name: 'short-lived', routes: shortLivedRoutes(deps) }] }),
});
