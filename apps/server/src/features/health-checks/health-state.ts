import type { TlsEndpointObservation } from '@certctl/connector-utils';
import { certificateFingerprint, parseCertificate, parseCertificateBundle, validatePath } from '@certctl/pki';
import type { HealthStatus } from './health-check-tables.js';

/** What the endpoint should serve: the managed certificate's current version (or a pinned fingerprint). */
export interface ExpectedCertificate {
  fingerprint: string;
  serial?: string;
  /** The issuing chain certctl holds for it (PEM); the served chain must lead to it. */
  chainPem?: string;
}

/** One check's verdict: `ok`, a certificate other than the expected one, or a failure (with why). */
export interface CheckVerdict {
  kind: 'ok' | 'mismatch' | 'failure';
  problems: string[];
  observedFingerprint: string | null;
  observedSerial: string | null;
}

/**
 * Judges one handshake: the served leaf against the expected certificate (serial and fingerprint),
 * then expiry, the chain against the expected issuer, and an OCSP staple when the certificate
 * demands one (must-staple).
 */
export async function judgeObservation(
  observation: TlsEndpointObservation,
  expected: ExpectedCertificate | undefined,
  now: Date,
): Promise<CheckVerdict> {
  const leaf = parseCertificate(observation.certificateDer);
  const observedFingerprint = certificateFingerprint(leaf.der).hex;
  const observed = { observedFingerprint, observedSerial: leaf.serialNumber };
  if (expected && expected.fingerprint !== observedFingerprint) {
    const wanted = expected.serial ? `serial ${expected.serial}` : `SHA-256 ${expected.fingerprint}`;
    return {
      kind: 'mismatch',
      problems: [`serves serial ${leaf.serialNumber} (SHA-256 ${observedFingerprint}), not the deployed ${wanted}`],
      ...observed,
    };
  }
  const problems: string[] = [];
  if (leaf.notAfter.getTime() <= now.getTime())
    problems.push(`the certificate expired at ${leaf.notAfter.toISOString()}`);
  else if (leaf.notBefore.getTime() > now.getTime())
    problems.push(`the certificate is not valid before ${leaf.notBefore.toISOString()}`);
  const anchors = expected?.chainPem ? parseCertificateBundle(expected.chainPem).map((c) => c.der) : [];
  if (anchors.length > 0) {
    const path = await validatePath({
      leaf: observation.certificateDer,
      intermediates: observation.chainDer,
      trustAnchors: anchors,
      at: now,
    });
    if (!path.valid) problems.push(`the served chain does not lead to the expected issuer: ${path.message}`);
  }
  if (leaf.mustStaple && !observation.ocspResponse)
    problems.push('the certificate requires OCSP stapling (must-staple) but the server sent no OCSP response');
  return { kind: problems.length ? 'failure' : 'ok', problems, ...observed };
}

export interface HealthState {
  status: HealthStatus;
  consecutiveFailures: number;
}

/**
 * The state machine: `ok` → healthy (counter reset); a mismatch → cert_mismatch at once; a failure
 * counts, and the status turns degraded at `degradedThreshold` consecutive failures and down at
 * `downThreshold` (below them it keeps its status).
 */
export function nextHealthState(
  current: HealthState,
  verdict: CheckVerdict['kind'],
  thresholds: { degradedThreshold: number; downThreshold: number },
): HealthState {
  if (verdict === 'ok') return { status: 'healthy', consecutiveFailures: 0 };
  // A mismatch is an answer, not a failure: it does not count towards degraded and down.
  if (verdict === 'mismatch') return { status: 'cert_mismatch', consecutiveFailures: 0 };
  const consecutiveFailures = current.consecutiveFailures + 1;
  const status =
    consecutiveFailures >= thresholds.downThreshold
      ? 'down'
      : consecutiveFailures >= thresholds.degradedThreshold
        ? 'degraded'
        : current.status;
  return { status, consecutiveFailures };
}

export const UNHEALTHY: ReadonlySet<HealthStatus> = new Set(['degraded', 'down', 'cert_mismatch']);
