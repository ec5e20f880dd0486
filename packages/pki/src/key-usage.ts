/** Key usage and extended key usage names, as used in profiles, policies and parsed output. */
import { MalformedInputError } from '@certctl/core';

export type KeyUsageName =
  | 'digitalSignature'
  | 'nonRepudiation'
  | 'keyEncipherment'
  | 'dataEncipherment'
  | 'keyAgreement'
  | 'keyCertSign'
  | 'cRLSign'
  | 'encipherOnly'
  | 'decipherOnly';

/** Bit positions of RFC 5280's KeyUsage BIT STRING, in order. */
export const KEY_USAGE_BITS: readonly KeyUsageName[] = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
];

export type ExtendedKeyUsageName =
  | 'serverAuth'
  | 'clientAuth'
  | 'codeSigning'
  | 'emailProtection'
  | 'timeStamping'
  | 'ocspSigning';

export const EXTENDED_KEY_USAGE_OIDS: Readonly<Record<ExtendedKeyUsageName, string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  codeSigning: '1.3.6.1.5.5.7.3.3',
  emailProtection: '1.3.6.1.5.5.7.3.4',
  timeStamping: '1.3.6.1.5.5.7.3.8',
  ocspSigning: '1.3.6.1.5.5.7.3.9',
};

const OID = /^[0-2](\.(0|[1-9]\d*))+$/;

/** The OID of a named EKU, or the OID itself when given one. */
export function extendedKeyUsageOid(usage: ExtendedKeyUsageName | string): string {
  const known = EXTENDED_KEY_USAGE_OIDS[usage as ExtendedKeyUsageName];
  if (known) return known;
  if (OID.test(usage)) return usage;
  throw new MalformedInputError({
    inputKind: 'extended-key-usage',
    message: `unknown extended key usage "${usage}"; use ${Object.keys(EXTENDED_KEY_USAGE_OIDS).join(', ')} or an OID`,
  });
}

/** The name of a known EKU OID, or the OID unchanged. */
export function extendedKeyUsageName(oid: string): ExtendedKeyUsageName | string {
  for (const [name, value] of Object.entries(EXTENDED_KEY_USAGE_OIDS)) if (value === oid) return name;
  return oid;
}

/** KeyUsage names to the flag number @peculiar/asn1-x509 uses (bit i of the BIT STRING is 1 << i). */
export function keyUsageFlags(usages: readonly KeyUsageName[]): number {
  let flags = 0;
  for (const usage of usages) {
    const bit = KEY_USAGE_BITS.indexOf(usage);
    if (bit < 0) throw new MalformedInputError({ inputKind: 'key-usage', message: `unknown key usage "${usage}"` });
    flags |= 1 << bit;
  }
  return flags;
}

export function keyUsageNames(flags: number): KeyUsageName[] {
  return KEY_USAGE_BITS.filter((_, bit) => (flags & (1 << bit)) !== 0);
}
