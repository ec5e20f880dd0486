import { MalformedInputError } from '@certctl/core';
import { type ParsedCsr, parseCsr, verifyCsrSignature } from '@certctl/pki';
import type { Certificate, CertificateProfile } from '../../db/tables.js';
import { matchesSanPattern } from '../certificates/certificate-names.js';
import { invalid, unprocessable } from '../../shared/service-errors.js';

const KEY_TYPE_NAMES: Record<string, 'RSA' | 'ECDSA' | 'Ed25519' | undefined> = {
  rsa: 'RSA',
  ec: 'ECDSA',
  ed25519: 'Ed25519',
};

/** Parses a CSR from the API: malformed input and a bad proof of possession are 400s. */
export async function readCsr(csrPem: string): Promise<ParsedCsr> {
  let parsed: ParsedCsr;
  try {
    parsed = parseCsr(csrPem);
  } catch (error) {
    if (MalformedInputError.isInstance(error))
      throw invalid(`csr_pem is not a valid PKCS#10 request: ${error.message.replace(/^\[certctl\] /, '')}`);
    throw error;
  }
  if (!(await verifyCsrSignature(parsed.der)))
    throw invalid('csr_pem signature does not verify (the CSR was not signed by its own key)');
  return parsed;
}

/** What a profile requires of any certificate's names, checked when the certificate is created or changed. */
export function checkNamesAgainstProfile(names: readonly string[], profile: CertificateProfile | undefined): void {
  if (!profile || profile.requiredSanPatterns.length === 0) return;
  for (const name of names) {
    if (!profile.requiredSanPatterns.some((p) => matchesSanPattern(name, p))) {
      throw unprocessable(
        `"${name}" does not match the profile's required_san_patterns (${profile.requiredSanPatterns.join(', ')})`,
      );
    }
  }
}

/**
 * A CSR may only ask for names the managed certificate holds, with a key the profile allows. The
 * issued certificate carries the managed certificate's names, whatever else the CSR says.
 */
export function checkCsrAgainstCertificate(
  csr: ParsedCsr,
  certificate: Pick<Certificate, 'commonName' | 'sans'>,
  profile: CertificateProfile | undefined,
): void {
  const allowed = new Set([certificate.commonName, ...certificate.sans].map((n) => n.toLowerCase()));
  const requested = [
    ...(csr.commonName ? [csr.commonName] : []),
    ...csr.sans
      .filter((s) => s.type === 'dns' || s.type === 'ip' || s.type === 'email' || s.type === 'uri')
      .map((s) => s.value),
  ];
  const extra = requested.filter((n) => !allowed.has(n.toLowerCase()));
  if (extra.length > 0)
    throw unprocessable(`the CSR asks for names the certificate does not hold: ${extra.join(', ')}`);
  const rules = profile?.allowedKeyAlgorithms;
  if (rules && rules.length > 0) {
    const algorithm = KEY_TYPE_NAMES[csr.publicKey.type];
    const rule = rules.find((r) => r.algorithm === algorithm);
    if (!rule)
      throw unprocessable(
        `key type ${csr.publicKey.type} is not allowed by the profile (allowed: ${rules.map((r) => r.algorithm).join(', ')})`,
      );
    if (rule.min_size && csr.publicKey.bits < rule.min_size) {
      throw unprocessable(
        `${algorithm} key of ${csr.publicKey.bits} bits is below the profile's minimum of ${rule.min_size}`,
      );
    }
  }
}
