/**
 * Certificate chains: ordering an unordered pool leaf -> root, and RFC 5280 section 6 path
 * validation (validity, signatures, cA, keyCertSign, path length, name constraints) with a typed
 * reason on failure. Policy processing and revocation are not part of it.
 */
import { bufferSource } from './buffer-source.js';
import { type CertificateInput, type ParsedCertificate, parseCertificate } from './certificate.js';
import { x509 } from './crypto-provider.js';
import { constrainedNamesOf, findNameConstraintViolation } from './name-constraints.js';

const MAX_PATH_LENGTH = 10;
const MAX_CANDIDATE_PATHS = 32;

const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a).equals(Buffer.from(b));

/** Whether `issuer` could have issued `certificate`, by names and key identifiers (no signature check). */
export function isPossibleIssuer(certificate: ParsedCertificate, issuer: ParsedCertificate): boolean {
  if (!sameBytes(certificate.issuerDer, issuer.subjectDer)) return false;
  if (certificate.authorityKeyIdentifier && issuer.subjectKeyIdentifier)
    return certificate.authorityKeyIdentifier === issuer.subjectKeyIdentifier;
  return true;
}

/** Checks signatures with a per-call cache of decoded certificates. */
class SignatureChecker {
  private readonly decoded = new Map<ParsedCertificate, x509.X509Certificate>();
  private readonly results = new Map<string, boolean>();

  private decode(certificate: ParsedCertificate): x509.X509Certificate {
    let value = this.decoded.get(certificate);
    if (!value) {
      value = new x509.X509Certificate(bufferSource(certificate.der));
      this.decoded.set(certificate, value);
    }
    return value;
  }

  async isSignedBy(certificate: ParsedCertificate, issuer: ParsedCertificate): Promise<boolean> {
    const key = `${Buffer.from(certificate.signatureValue).toString('base64')}|${Buffer.from(issuer.spki).toString('base64')}`;
    const cached = this.results.get(key);
    if (cached !== undefined) return cached;
    let ok: boolean;
    try {
      ok = await this.decode(certificate).verify({ publicKey: this.decode(issuer).publicKey, signatureOnly: true });
    } catch {
      ok = false;
    }
    this.results.set(key, ok);
    return ok;
  }
}

export interface BuildChainOptions {
  leaf: CertificateInput;
  /** Intermediates and roots in any order; unrelated certificates are ignored. */
  pool: CertificateInput[];
  /** Roots that end the chain even when they are not self-signed (cross-signed anchors). */
  trustAnchors?: CertificateInput[];
}

export interface BuiltChain {
  /** Leaf first, then each issuer; the last one is a root or a trust anchor when `complete`. */
  certificates: ParsedCertificate[];
  /** Ends in a self-issued certificate or a trust anchor. */
  complete: boolean;
}

/** Orders a chain leaf -> root from an unordered pool, matching names and key ids and verifying each signature. */
export async function buildChain(options: BuildChainOptions): Promise<BuiltChain> {
  const leaf = parseCertificate(options.leaf);
  const anchors = (options.trustAnchors ?? []).map(parseCertificate);
  const pool = [...options.pool.map(parseCertificate), ...anchors];
  const checker = new SignatureChecker();
  const isAnchor = (c: ParsedCertificate) => anchors.some((a) => sameBytes(a.der, c.der));
  const chain = [leaf];
  let current = leaf;
  while (chain.length < MAX_PATH_LENGTH && !current.selfIssued && !isAnchor(current)) {
    let next: ParsedCertificate | undefined;
    for (const candidate of pool) {
      if (chain.some((c) => sameBytes(c.der, candidate.der))) continue;
      if (isPossibleIssuer(current, candidate) && (await checker.isSignedBy(current, candidate))) {
        next = candidate;
        if (isAnchor(candidate)) break;
      }
    }
    if (!next) break;
    chain.push(next);
    current = next;
  }
  return { certificates: chain, complete: current.selfIssued || isAnchor(current) };
}

export type PathValidationFailureReason =
  | 'no-path-to-trust-anchor'
  | 'path-too-long'
  | 'bad-signature'
  | 'not-yet-valid'
  | 'expired'
  | 'issuer-not-ca'
  | 'issuer-missing-key-cert-sign'
  | 'path-length-exceeded'
  | 'name-constraints-violated';

export interface PathValidationFailure {
  valid: false;
  reason: PathValidationFailureReason;
  message: string;
  /** Index in `chain` of the certificate that failed (0 = leaf). */
  depth: number | undefined;
  /** The path that was examined (leaf first), empty when none reached an anchor. */
  chain: ParsedCertificate[];
}

export interface PathValidationSuccess {
  valid: true;
  /** Leaf first, trust anchor last. */
  chain: ParsedCertificate[];
}

export type PathValidationResult = PathValidationSuccess | PathValidationFailure;

export interface ValidatePathOptions {
  leaf: CertificateInput;
  intermediates?: CertificateInput[];
  trustAnchors: CertificateInput[];
  /** Validation time; default now. */
  at?: Date;
}

function failure(
  reason: PathValidationFailureReason,
  message: string,
  chain: ParsedCertificate[],
  depth?: number,
): PathValidationFailure {
  return { valid: false, reason, message, depth, chain };
}

async function checkPath(
  path: ParsedCertificate[],
  at: Date,
  checker: SignatureChecker,
): Promise<PathValidationResult> {
  const n = path.length - 1;
  const label = (i: number) => `"${path[i]!.subject || path[i]!.serialNumber}"`;
  for (let i = 0; i < n; i++) {
    if (!(await checker.isSignedBy(path[i]!, path[i + 1]!))) {
      return failure(
        'bad-signature',
        `signature of ${label(i)} does not verify with the key of ${label(i + 1)}`,
        path,
        i,
      );
    }
  }
  for (let i = 0; i <= n; i++) {
    const c = path[i]!;
    if (at < c.notBefore)
      return failure('not-yet-valid', `${label(i)} is not valid before ${c.notBefore.toISOString()}`, path, i);
    if (at > c.notAfter) return failure('expired', `${label(i)} expired at ${c.notAfter.toISOString()}`, path, i);
  }
  for (let i = 1; i <= n; i++) {
    const c = path[i]!;
    const isAnchor = i === n;
    if (isAnchor ? c.basicConstraints?.ca === false : !c.basicConstraints?.ca) {
      return failure(
        'issuer-not-ca',
        `${label(i)} issued ${label(i - 1)} but is not a CA (basicConstraints cA)`,
        path,
        i,
      );
    }
    if (c.keyUsage && !c.keyUsage.includes('keyCertSign')) {
      return failure(
        'issuer-missing-key-cert-sign',
        `${label(i)} issued ${label(i - 1)} but its key usage lacks keyCertSign`,
        path,
        i,
      );
    }
  }
  let remaining = path[n]!.basicConstraints?.pathLength ?? Number.POSITIVE_INFINITY;
  for (let i = n - 1; i >= 1; i--) {
    const c = path[i]!;
    if (!c.selfIssued) {
      if (remaining <= 0)
        return failure('path-length-exceeded', `${label(i)} exceeds the path length allowed above it`, path, i);
      remaining--;
    }
    if (c.basicConstraints?.pathLength !== undefined) remaining = Math.min(remaining, c.basicConstraints.pathLength);
  }
  for (let j = 1; j <= n; j++) {
    const constraints = path[j]!.nameConstraints;
    if (!constraints) continue;
    for (let i = j - 1; i >= 0; i--) {
      if (i > 0 && path[i]!.selfIssued) continue;
      const violation = findNameConstraintViolation(constrainedNamesOf(path[i]!), constraints);
      if (violation) {
        return failure(
          'name-constraints-violated',
          `${violation.kind} name "${violation.name}" of ${label(i)} violates the name constraints of ${label(j)}`,
          path,
          i,
        );
      }
    }
  }
  return { valid: true, chain: path };
}

/**
 * RFC 5280 path validation of `leaf` up to one of `trustAnchors` through `intermediates`. Every
 * candidate path (by name and key id) is tried; the first valid one wins, otherwise the failure of
 * the first candidate is returned.
 */
export async function validatePath(options: ValidatePathOptions): Promise<PathValidationResult> {
  const at = options.at ?? new Date();
  const leaf = parseCertificate(options.leaf);
  const anchors = options.trustAnchors.map(parseCertificate);
  const intermediates = (options.intermediates ?? []).map(parseCertificate);
  const checker = new SignatureChecker();
  if (anchors.some((a) => sameBytes(a.der, leaf.der))) return { valid: true, chain: [leaf] };

  const candidates: ParsedCertificate[][] = [];
  let tooLong = false;
  const extend = (path: ParsedCertificate[]) => {
    if (candidates.length >= MAX_CANDIDATE_PATHS) return;
    const current = path[path.length - 1]!;
    for (const anchor of anchors) if (isPossibleIssuer(current, anchor)) candidates.push([...path, anchor]);
    if (path.length >= MAX_PATH_LENGTH) {
      tooLong = true;
      return;
    }
    for (const intermediate of intermediates) {
      if (path.some((c) => sameBytes(c.der, intermediate.der)) || !isPossibleIssuer(current, intermediate)) continue;
      extend([...path, intermediate]);
    }
  };
  extend([leaf]);

  let firstFailure: PathValidationFailure | undefined;
  for (const path of candidates) {
    const result = await checkPath(path, at, checker);
    if (result.valid) return result;
    firstFailure ??= result;
  }
  if (firstFailure) return firstFailure;
  if (tooLong) return failure('path-too-long', `no path to a trust anchor within ${MAX_PATH_LENGTH} certificates`, []);
  return failure(
    'no-path-to-trust-anchor',
    `no path from "${leaf.subject}" (issuer "${leaf.issuer}") to a trust anchor`,
    [],
    0,
  );
}
