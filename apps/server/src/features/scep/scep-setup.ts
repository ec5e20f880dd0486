import type { LiveTrustBundles } from '../../config/trust-bundle-file.js';
import type { ServerLogger } from '../../observability/logger.js';
import type { CollectedGauge } from '../server-feature.js';
import type { ScepConfig } from './scep-config.js';
import { loadScepEndpoints, type ScepEndpoints } from './scep-endpoints.js';

/** SCEP endpoints for the server, with their RA material and challenge checkers. */
export function createScepEndpoints(
  config: ScepConfig | undefined,
  logger: ServerLogger,
  live?: LiveTrustBundles,
): ScepEndpoints {
  const endpoints = loadScepEndpoints(config, (message) => logger.warn(message));
  for (const [path, endpoint] of endpoints) {
    if (endpoint.mtls) live?.add({ protocol: 'scep', purpose: 'mtls_client_ca', profile: path, bundle: endpoint.mtls });
    if (endpoint.intune)
      live?.add({ protocol: 'scep', purpose: 'intune_connector', profile: path, bundle: endpoint.intune.trust });
    logger.info(
      { scep_profile: path || 'default', issuer_id: endpoint.profile.issuerId, intune: Boolean(endpoint.intune) },
      'SCEP endpoint enabled',
    );
  }
  return endpoints;
}

/** Lets operators alert before an Intune Connector signing certificate runs out. */
export function scepGauges(endpoints: ScepEndpoints): CollectedGauge[] {
  const intune = [...endpoints.values()].filter((e) => e.intune);
  if (intune.length === 0) return [];
  return [
    {
      name: 'certctl_scep_intune_connector_cert_not_after_seconds',
      help: 'Latest notAfter (Unix time) of the Intune Connector signing certificates a SCEP profile trusts',
      labelNames: ['scep_profile'],
      collect: async () =>
        intune.map((endpoint) => ({
          labels: { scep_profile: endpoint.profile.path || 'default' },
          value: Math.max(...endpoint.intune!.trust.current().map((c) => c.notAfter.getTime() / 1000)),
        })),
    },
  ];
}
