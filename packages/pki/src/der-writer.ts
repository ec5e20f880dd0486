/**
 * A minimal DER encoder for the fast leaf issuer. Written by hand because the general ASN.1
 * libraries build an object per node and serialise through generic schema code: that, not the
 * signature, is what caps @peculiar/x509 at ~500 certificates/s. Here each TLV is one allocation
 * and one copy of already-encoded children, and fixed parts of a certificate are encoded once.
 */

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  oid: 0x06,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

function headerLength(contentLength: number): number {
  if (contentLength < 0x80) return 2;
  if (contentLength < 0x100) return 3;
  if (contentLength < 0x10000) return 4;
  return 5;
}

function writeHeader(out: Uint8Array, tag: number, contentLength: number): number {
  out[0] = tag;
  if (contentLength < 0x80) {
    out[1] = contentLength;
    return 2;
  }
  if (contentLength < 0x100) {
    out[1] = 0x81;
    out[2] = contentLength;
    return 3;
  }
  if (contentLength < 0x10000) {
    out[1] = 0x82;
    out[2] = contentLength >> 8;
    out[3] = contentLength & 0xff;
    return 4;
  }
  out[1] = 0x83;
  out[2] = contentLength >> 16;
  out[3] = (contentLength >> 8) & 0xff;
  out[4] = contentLength & 0xff;
  return 5;
}

/** One TLV whose content is the concatenation of `parts` (already-encoded children or raw content). */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(headerLength(length) + length);
  let offset = writeHeader(out, tag, length);
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** SEQUENCE of already-encoded elements. */
export const sequence = (...parts: Uint8Array[]): Uint8Array => tlv(TAG.sequence, ...parts);

/** Concatenation without a header (for SEQUENCE OF contents built from a list). */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** INTEGER from content octets already in minimal two's-complement form (see serialHexToDerContent). */
export const integerFromContent = (content: Uint8Array): Uint8Array => tlv(TAG.integer, content);

export const octetString = (content: Uint8Array): Uint8Array => tlv(TAG.octetString, content);

/** BIT STRING with zero unused bits (signatures, keys). */
export function bitString(content: Uint8Array): Uint8Array {
  return tlv(TAG.bitString, Uint8Array.of(0), content);
}

const textEncoder = new TextEncoder();

export const utf8String = (text: string): Uint8Array => tlv(TAG.utf8String, textEncoder.encode(text));

/** OBJECT IDENTIFIER from dotted text. Used when precomputing, never per certificate. */
export function objectIdentifier(oid: string): Uint8Array {
  const arcs = oid.split('.').map((arc) => BigInt(arc));
  if (arcs.length < 2) throw new RangeError(`invalid OID ${oid}`);
  const bytes: number[] = [];
  const encodeArc = (arc: bigint) => {
    const chunk: number[] = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) chunk.unshift(Number(rest & 0x7fn) | 0x80);
    bytes.push(...chunk);
  };
  encodeArc(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) encodeArc(arc);
  return tlv(TAG.oid, Uint8Array.from(bytes));
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; always UTC, whole seconds. */
export function time(date: Date): Uint8Array {
  const year = date.getUTCFullYear();
  const rest = `${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}Z`;
  if (year >= 1950 && year < 2050) return tlv(TAG.utcTime, textEncoder.encode(`${pad2(year % 100)}${rest}`));
  return tlv(TAG.generalizedTime, textEncoder.encode(`${String(year).padStart(4, '0')}${rest}`));
}

/** Context-specific tag number n, constructed ([n] EXPLICIT) or primitive ([n] IMPLICIT on a primitive type). */
export const contextTag = (n: number, constructed: boolean): number => 0x80 | (constructed ? 0x20 : 0) | n;
