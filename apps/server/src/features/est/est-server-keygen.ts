import {
  createCsr,
  exportPkcs8,
  generateKeyPair,
  type KeyAlgorithmName,
  type ParsedCsr,
  parseCsr,
  type SubjectAltName,
} from '@certctl/pki';
import type { CertificateProfile } from '../../db/tables.js';
import { csrNames } from './est-enrollment.js';

/** The key the profile prefers: its first allowed algorithm at its minimum size. */
export function keyAlgorithmFor(profile: CertificateProfile): KeyAlgorithmName {
  const rule = profile.allowedKeyAlgorithms[0];
  if (rule?.algorithm === 'RSA')
    return (rule.min_size ?? 2048) > 3072 ? 'rsa-4096' : (rule.min_size ?? 2048) > 2048 ? 'rsa-3072' : 'rsa-2048';
  if (rule?.algorithm === 'Ed25519') return 'ed25519';
  return (rule?.min_size ?? 256) > 256 ? 'ecdsa-p384' : 'ecdsa-p256';
}

/**
 * serverkeygen (RFC 7030 4.4): a fresh key pair of the profile's algorithm and a CSR for the names
 * the client's CSR asked for, signed by the new key. The PKCS#8 key goes back to the client once
 * and is not stored.
 */
export async function generateKeyAndCsr(
  clientCsr: ParsedCsr,
  profile: CertificateProfile,
): Promise<{ csr: ParsedCsr; pkcs8: Uint8Array }> {
  const { commonName } = csrNames(clientCsr);
  const keys = await generateKeyPair({ algorithm: keyAlgorithmFor(profile) });
  const sans: SubjectAltName[] = clientCsr.sans.filter(
    (s) => s.type === 'dns' || s.type === 'ip' || s.type === 'email' || s.type === 'uri',
  ) as SubjectAltName[];
  const csr = await createCsr({ keys, subject: { CN: commonName }, sans });
  return { csr: parseCsr(csr.der), pkcs8: exportPkcs8(keys.privateKey) };
}
