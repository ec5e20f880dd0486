/**
 * Subject alternative names and other GeneralNames, as plain typed values, converted to and from
 * the ASN.1 model of @peculiar/asn1-x509. IP addresses are handled here (not by the library's
 * converter) so every textual form node accepts, including IPv4-mapped IPv6, round-trips.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { MalformedInputError } from '@certctl/core';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { GeneralName, type Name as AsnName } from '@peculiar/asn1-x509';
import { readDer, TAG } from './asn1-der.js';
import { x509 } from './crypto-provider.js';

/** A name we issue and match: DNS name, IP address, email address (rfc822Name) or URI. */
export interface SubjectAltName {
  type: 'dns' | 'ip' | 'email' | 'uri';
  value: string;
}

/** Any GeneralName as found in a certificate; `dn` is an RFC 4514 string, `other`/`registered-id` carry an OID. */
export type ParsedGeneralName =
  | SubjectAltName
  | { type: 'dn'; value: string }
  | { type: 'registered-id'; value: string }
  | { type: 'other'; oid: string; value: string };

export function ipToBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  if (!isIPv6(ip))
    throw new MalformedInputError({ inputKind: 'ip-address', message: `"${ip}" is not an IPv4 or IPv6 address` });
  let text = ip.replace(/%.*$/, '');
  const embedded = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (embedded) {
    const v4 = Uint8Array.from(embedded[1]!.split('.').map(Number));
    text = `${text.slice(0, embedded.index)}${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? headGroups
      : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((group, i) => {
    const value = Number.parseInt(group, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  return bytes;
}

export function bytesToIp(bytes: Uint8Array): string {
  if (bytes.length === 4) return Array.from(bytes).join('.');
  if (bytes.length === 16) {
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
    // compress the longest run of zero groups (RFC 5952)
    let bestStart = -1;
    let bestLength = 0;
    for (let i = 0; i < 8; ) {
      if (groups[i] !== '0') {
        i++;
        continue;
      }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > bestLength && j - i > 1) {
        bestStart = i;
        bestLength = j - i;
      }
      i = j;
    }
    if (bestStart < 0) return groups.join(':');
    return `${groups.slice(0, bestStart).join(':')}::${groups.slice(bestStart + bestLength).join(':')}`;
  }
  return Buffer.from(bytes).toString('hex');
}

/** CIDR text (`10.0.0.0/8`, `2001:db8::/32`) to the address+mask bytes name constraints use. */
export function cidrToBytes(cidr: string): Uint8Array {
  const [address = '', prefixText] = cidr.split('/');
  const addressBytes = ipToBytes(address);
  const prefix = prefixText === undefined ? addressBytes.length * 8 : Number(prefixText);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > addressBytes.length * 8) {
    throw new MalformedInputError({ inputKind: 'ip-address', message: `"${cidr}" has an invalid prefix length` });
  }
  const out = new Uint8Array(addressBytes.length * 2);
  out.set(addressBytes, 0);
  for (let i = 0; i < addressBytes.length; i++) {
    const bits = Math.max(0, Math.min(8, prefix - i * 8));
    out[addressBytes.length + i] = (0xff << (8 - bits)) & 0xff;
  }
  return out;
}

/** Address+mask bytes back to CIDR text. */
export function bytesToCidr(bytes: Uint8Array): string {
  const half = bytes.length / 2;
  let prefix = 0;
  for (const byte of bytes.subarray(half)) prefix += byte.toString(2).replace(/0/g, '').length;
  return `${bytesToIp(bytes.subarray(0, half))}/${prefix}`;
}

/** Builds an asn1-x509 GeneralName whose iPAddress carries raw bytes (bypassing the string converter). */
function ipGeneralName(bytes: Uint8Array): GeneralName {
  // [7] IMPLICIT OCTET STRING: encode as OCTET STRING then retag.
  const der = new Uint8Array(AsnConvert.serialize(new OctetString(bytes)));
  der[0] = 0x87;
  return AsnConvert.parse(der, GeneralName);
}

const IA5_PRINTABLE = /^[\x21-\x7e]+$/;

export function toAsnGeneralName(name: SubjectAltName): GeneralName {
  if (name.type !== 'ip' && (typeof name.value !== 'string' || !IA5_PRINTABLE.test(name.value))) {
    throw new MalformedInputError({
      inputKind: 'subject-alt-name',
      message: `${name.type} name "${String(name.value)}" must be non-empty printable ASCII (convert IDNs to A-labels first)`,
    });
  }
  switch (name.type) {
    case 'dns':
      return new GeneralName({ dNSName: name.value });
    case 'email':
      return new GeneralName({ rfc822Name: name.value });
    case 'uri':
      return new GeneralName({ uniformResourceIdentifier: name.value });
    case 'ip':
      return ipGeneralName(ipToBytes(name.value));
    default:
      throw new MalformedInputError({
        inputKind: 'subject-alt-name',
        message: `unknown SAN type "${String((name as { type: unknown }).type)}"`,
      });
  }
}

/** A GeneralName whose IP form is an address+mask (name constraints). */
export function toAsnConstraintName(name: SubjectAltName): GeneralName {
  return name.type === 'ip' ? ipGeneralName(cidrToBytes(name.value)) : toAsnGeneralName(name);
}

/** Raw bytes of a GeneralName's iPAddress, read back from its encoding (the library's string form is lossy). */
export function ipBytesOf(name: GeneralName): Uint8Array | undefined {
  if (name.iPAddress === undefined) return undefined;
  const der = new Uint8Array(AsnConvert.serialize(name));
  der[0] = 0x04;
  return new Uint8Array(AsnConvert.parse(der, OctetString).buffer);
}

export function fromAsnGeneralName(name: GeneralName): ParsedGeneralName {
  if (name.dNSName !== undefined) return { type: 'dns', value: name.dNSName };
  if (name.rfc822Name !== undefined) return { type: 'email', value: name.rfc822Name };
  if (name.uniformResourceIdentifier !== undefined) return { type: 'uri', value: name.uniformResourceIdentifier };
  if (name.iPAddress !== undefined) {
    const bytes = ipBytesOf(name)!;
    return { type: 'ip', value: bytes.length === 8 || bytes.length === 32 ? bytesToCidr(bytes) : bytesToIp(bytes) };
  }
  if (name.directoryName !== undefined) {
    return { type: 'dn', value: new x509.Name(AsnConvert.serialize(name.directoryName as AsnName)).toString() };
  }
  if (name.registeredID !== undefined) return { type: 'registered-id', value: name.registeredID };
  if (name.otherName !== undefined) {
    return { type: 'other', oid: name.otherName.typeId, value: Buffer.from(name.otherName.value).toString('hex') };
  }
  return { type: 'other', oid: '', value: '' };
}

/** Microsoft's userPrincipalName otherName (Active Directory, Intune user certificates). */
export const UPN_OTHER_NAME_OID = '1.3.6.1.4.1.311.20.2.3';

/** The userPrincipalName values among parsed SANs; an otherName that is not a UTF8String is skipped. */
export function userPrincipalNames(names: readonly ParsedGeneralName[]): string[] {
  const found: string[] = [];
  for (const name of names) {
    if (name.type !== 'other' || name.oid !== UPN_OTHER_NAME_OID) continue;
    try {
      const node = readDer(new Uint8Array(Buffer.from(name.value, 'hex')));
      if (node.tag === TAG.utf8String) found.push(Buffer.from(node.value).toString('utf8'));
    } catch {
      // Malformed: not a name anyone can match against.
    }
  }
  return found;
}
