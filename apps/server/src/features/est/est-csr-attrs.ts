import type { CertificateProfile } from '../../db/tables.js';
import type { EstProfileConfig } from './est-config.js';

// A few DER constructions for CsrAttrs (RFC 7030 4.5.2). @certctl/pki keeps its DER writer
// internal, and this is the only SEQUENCE OF OID/Attribute the server writes.
function tlv(tag: number, content: Uint8Array): Uint8Array {
  const n = content.length;
  const length = n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff];
  return Uint8Array.from([tag, ...length, ...content]);
}
const concat = (parts: Uint8Array[]) => Uint8Array.from(parts.flatMap((p) => [...p]));

export function oidDer(oid: string): Uint8Array {
  const arcs = oid.split('.').map(Number);
  const bytes: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    bytes.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(bytes));
}
const attribute = (type: string, values: Uint8Array[]) => tlv(0x30, concat([oidDer(type), tlv(0x31, concat(values))]));

const OID = {
  challengePassword: '1.2.840.113549.1.9.7',
  extensionRequest: '1.2.840.113549.1.9.14',
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ed25519: '1.3.101.112',
  secp256r1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  extKeyUsage: '2.5.29.37',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
} as const;

const EKU_OIDS: Record<string, string> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  OCSPSigning: '1.3.6.1.5.5.7.3.9',
};

/**
 * What the profile wants in a CSR: the key algorithm (with the curve for ECDSA), the EKUs the
 * profile grants, the challengePassword when channel binding is required, and the signature
 * algorithm. Undefined when there is nothing to say (the route answers 204).
 */
export function buildCsrAttrs(est: EstProfileConfig, profile: CertificateProfile | undefined): Uint8Array | undefined {
  const items: Uint8Array[] = [];
  if (est.channelBindingRequired) items.push(oidDer(OID.challengePassword));
  const rule = profile?.allowedKeyAlgorithms[0];
  if (rule?.algorithm === 'ECDSA')
    items.push(
      attribute(OID.ecPublicKey, [oidDer((rule.min_size ?? 256) > 256 ? OID.secp384r1 : OID.secp256r1)]),
      oidDer(OID.ecdsaWithSha256),
    );
  else if (rule?.algorithm === 'RSA') items.push(oidDer(OID.rsaEncryption));
  else if (rule?.algorithm === 'Ed25519') items.push(oidDer(OID.ed25519));
  const ekus = (profile?.allowedEkus ?? [])
    .map((e) => EKU_OIDS[e] ?? (/^\d+(\.\d+)+$/.test(e) ? e : undefined))
    .filter((e): e is string => Boolean(e));
  if (ekus.length > 0) items.push(attribute(OID.extensionRequest, [oidDer(OID.extKeyUsage)]));
  if (items.length === 0) return undefined;
  return tlv(0x30, concat(items));
}
