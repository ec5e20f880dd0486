import { isIP } from 'node:net';

/** An IP address as a number: 32 bits for IPv4, 128 bits for IPv6. */
export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

/** An address block such as `10.0.0.0/8` or `fc00::/7`. */
export interface IpCidr {
  family: 4 | 6;
  base: bigint;
  prefix: number;
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** Parses a literal IPv4 or IPv6 address (brackets and a zone id are tolerated); undefined if it is not one. */
export function parseIpAddress(text: string): IpAddress | undefined {
  let literal = text.trim();
  if (literal.startsWith('[') && literal.endsWith(']')) literal = literal.slice(1, -1);
  const zone = literal.indexOf('%');
  if (zone !== -1) literal = literal.slice(0, zone);
  const family = isIP(literal);
  if (family === 4) return { family: 4, value: parseIpv4(literal) };
  if (family === 6) return { family: 6, value: parseIpv6(literal) };
  return undefined;
}

function parseIpv4(literal: string): bigint {
  return literal.split('.').reduce((acc, part) => (acc << 8n) | BigInt(Number.parseInt(part, 10)), 0n);
}

function parseIpv6(literal: string): bigint {
  let text = literal.toLowerCase();
  // A trailing dotted quad (::ffff:1.2.3.4) stands for the last two groups.
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const v4 = parseIpv4(tail);
    text = `${text.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const restGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - restGroups.length;
  const groups = rest === undefined ? headGroups : [...headGroups, ...Array<string>(missing).fill('0'), ...restGroups];
  return groups.reduce((acc, group) => (acc << 16n) | BigInt(Number.parseInt(group, 16)), 0n);
}

/** Renders an address in its canonical text form (IPv6 compressed, lower case). */
export function formatIpAddress(address: IpAddress): string {
  if (address.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => ((address.value >> shift) & 0xffn).toString()).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => Number((address.value >> BigInt((7 - i) * 16)) & 0xffffn));
  // Compress the longest run (length >= 2) of zero groups, as RFC 5952 says.
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

/** The IPv4 address inside an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), else the address itself. */
export function unmapIpv4(address: IpAddress): IpAddress {
  if (address.family === 6 && address.value >> 32n === 0xffffn) {
    return { family: 4, value: address.value & 0xffffffffn };
  }
  return address;
}

/** Parses `10.0.0.0/8`, `fd00::/8` or a bare address (a /32 or /128); undefined when malformed. */
export function parseCidr(text: string): IpCidr | undefined {
  const slash = text.indexOf('/');
  const address = parseIpAddress(slash === -1 ? text : text.slice(0, slash));
  if (!address) return undefined;
  const bits = address.family === 4 ? 32 : 128;
  const prefixText = slash === -1 ? String(bits) : text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > bits) return undefined;
  return { family: address.family, base: address.value & maskFor(bits, prefix), prefix };
}

function maskFor(bits: number, prefix: number): bigint {
  const all = (1n << BigInt(bits)) - 1n;
  return (all >> BigInt(bits - prefix)) << BigInt(bits - prefix);
}

/** Whether `address` lies inside `cidr` (families must match; IPv4-mapped IPv6 matches IPv4 blocks). */
export function cidrContains(cidr: IpCidr, address: IpAddress): boolean {
  let candidate = address;
  if (cidr.family === 4 && address.family === 6) candidate = unmapIpv4(address);
  if (cidr.family === 6 && address.family === 4) candidate = { family: 6, value: MAPPED_PREFIX | address.value };
  if (candidate.family !== cidr.family) return false;
  const bits = cidr.family === 4 ? 32 : 128;
  return (candidate.value & maskFor(bits, cidr.prefix)) === cidr.base;
}
