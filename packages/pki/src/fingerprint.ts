/** Certificate fingerprints: the hash of the DER, as lowercase hex or colon-separated uppercase (openssl's form). */
import { createHash } from 'node:crypto';
import type { CertificateInput } from './certificate.js';
import { derFromPemOrDer } from './pem.js';

export type FingerprintAlgorithm = 'sha256' | 'sha1';

export interface Fingerprint {
  /** `3f9a...` */
  hex: string;
  /** `3F:9A:...`, as `openssl x509 -fingerprint` prints it. */
  colon: string;
}

/** Fingerprint of a certificate (PEM or DER); SHA-256 unless asked otherwise. */
export function certificateFingerprint(
  input: CertificateInput,
  algorithm: FingerprintAlgorithm = 'sha256',
): Fingerprint {
  const der = derFromPemOrDer(input, 'CERTIFICATE', 'certificate');
  const hex = createHash(algorithm).update(der).digest('hex');
  return { hex, colon: formatFingerprintWithColons(hex) };
}

/** `abcd12` -> `AB:CD:12`. */
export function formatFingerprintWithColons(hex: string): string {
  return (hex.toUpperCase().match(/../g) ?? []).join(':');
}
