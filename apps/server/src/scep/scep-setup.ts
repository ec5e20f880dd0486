import type { ServerLogger } from '../observability/logger.js';
import type { ScepConfig } from './scep-config.js';
import { loadScepEndpoints, type ScepEndpoints } from './scep-endpoints.js';

/** SCEP endpoints for the server, with their RA material and challenge checkers. */
export function createScepEndpoints(config: ScepConfig | undefined, logger: ServerLogger): ScepEndpoints {
  const endpoints = loadScepEndpoints(config, (message) => logger.warn(message));
  for (const [path, endpoint] of endpoints)
    logger.info(
      { scep_profile: path || 'default', issuer_id: endpoint.profile.issuerId, intune: Boolean(endpoint.intune) },
      'SCEP endpoint enabled',
    );
  return endpoints;
}
