import type { ParsedCsr } from '@certctl/pki';
import { loadTrustBundle, type TrustBundle } from '../../config/trust-bundle-file.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { type IntuneClaim, IntuneChallengeError, verifyIntuneChallenge } from './intune-challenge.js';
import { csrMismatch } from './intune-csr-binding.js';
import { spendIntuneChallenge } from './intune-ledger.js';
import type { ScepIntuneConfig } from './scep-config.js';
import { ScepFailure } from './scep-failure.js';

/** A profile's Intune challenge check: Connector bundle loaded at start-up, re-read when the file changes. */
export interface IntuneGate {
  readonly trust: TrustBundle;
  /** Verifies, binds to the CSR and spends the challenge; refusals are `ScepFailure` badRequest. */
  admit(deps: ServiceDeps, challenge: string, csr: ParsedCsr): Promise<IntuneClaim>;
}

export function createIntuneGate(
  scepProfile: string,
  config: ScepIntuneConfig,
  prefix: string,
  warn: (message: string) => void,
): IntuneGate {
  let trust: TrustBundle;
  try {
    trust = loadTrustBundle(config.connectorCertPath, 'Intune Connector certificate bundle', warn);
  } catch (error) {
    throw new Error(`${prefix}INTUNE_CONNECTOR_CERT_PATH: ${(error as Error).message}`, { cause: error });
  }
  return {
    trust,
    async admit(deps, challenge, csr) {
      const count = (result: string) => deps.metrics.scepIntuneChallenges.inc({ scep_profile: scepProfile, result });
      try {
        const claim = await verifyIntuneChallenge(challenge, {
          trust: trust.current(),
          audience: config.audience,
          validityMs: config.challengeValidityMs,
          clockSkewMs: config.clockSkewMs,
          now: deps.now(),
        });
        const mismatch = csrMismatch(claim, csr);
        if (mismatch) throw new IntuneChallengeError('csr_mismatch', mismatch);
        await spendIntuneChallenge(deps, {
          scepProfile,
          claim,
          clockSkewMs: config.clockSkewMs,
          perDeviceLimit24h: config.perDeviceLimit24h,
        });
        count('accepted');
        return claim;
      } catch (error) {
        if (!(error instanceof IntuneChallengeError)) throw error;
        count(error.reason);
        throw new ScepFailure('badRequest', `Intune challenge refused (${error.reason}): ${error.message}`);
      }
    },
  };
}
