import type { RouteGroup } from '../../http/route-spec.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { defineServerFeature } from '../server-feature.js';
import { crlIssuerIds, currentCrl } from './crl.js';
import { ocspRoutes } from './ocsp-routes.js';
import { pkiRoutes } from './pki-routes.js';

const ocspGroup = (deps: ServiceDeps): RouteGroup => ({
  name: 'ocsp',
  routes: ocspRoutes(deps),
  // DER OCSP requests reach their route as a Buffer.
  bodies: { raw: ['application/ocsp-request'] },
});

const pkiGroup = (deps: ServiceDeps): RouteGroup => ({ name: 'pki', routes: pkiRoutes(deps) });

/** CRL and CA certificate downloads and the OCSP responder on both listeners, and CRL pre-generation. */
export const crlOcspFeature = defineServerFeature({
  name: 'crl-ocsp',
  setup: ({ deps, config }) => ({
    api: [pkiGroup(deps), ocspGroup(deps)],
    pki: [pkiGroup(deps), ocspGroup(deps)],
    loops: [
      {
        name: 'crl',
        everyMs: config.scheduler.crlGenerationMs,
        leaderLockKey: 7_302_004,
        run: async () => {
          for (const issuerId of await crlIssuerIds(deps)) {
            await currentCrl(deps, issuerId).catch((error) =>
              deps.logger.warn(
                { issuer_id: issuerId, error: error instanceof Error ? error.message : String(error) },
                'CRL pre-generation failed',
              ),
            );
          }
        },
      },
    ],
  }),
});
