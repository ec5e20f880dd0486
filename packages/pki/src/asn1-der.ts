/**
 * A small DER writer and a BER/DER reader for the structures this package builds by hand (CRL, OCSP,
 * CMS, PKCS#12). Hand-rolled because the object-model libraries allocate a class per node: a
 * 100,000-entry CRL or an OCSP response on a hot path is several times faster as plain byte
 * concatenation, and a reader that only walks offsets is easy to make safe against hostile input
 * (every length is bounds-checked, nesting is capped, indefinite lengths are accepted for BER CMS).
 */

/** Thrown by the reader on bytes that are not valid BER; callers turn it into MalformedInputError. */
export class Asn1DecodeError extends Error {
  override readonly name = 'Asn1DecodeError';
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  enumerated: 0x0a,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
} as const;

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

/** Length octets for `length` (definite form). */
export function encodeLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  if (length < 0x100) return Uint8Array.of(0x81, length);
  if (length < 0x10000) return Uint8Array.of(0x82, length >> 8, length & 0xff);
  if (length < 0x1000000) return Uint8Array.of(0x83, length >> 16, (length >> 8) & 0xff, length & 0xff);
  return Uint8Array.of(0x84, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff);
}

/** Number of length octets `encodeLength(length)` produces. */
export function lengthOfLength(length: number): number {
  if (length < 0x80) return 1;
  if (length < 0x100) return 2;
  if (length < 0x10000) return 3;
  if (length < 0x1000000) return 4;
  return 5;
}

/** Writes tag + length at `offset` of `out`; returns the offset after the header. */
export function writeHeader(out: Uint8Array, offset: number, tag: number, length: number): number {
  out[offset++] = tag;
  if (length < 0x80) {
    out[offset++] = length;
    return offset;
  }
  const n = lengthOfLength(length) - 1;
  out[offset++] = 0x80 | n;
  for (let i = n - 1; i >= 0; i--) out[offset++] = (length >>> (8 * i)) & 0xff;
  return offset;
}

/** A TLV with the given tag around the concatenated `parts`. */
export function tlv(tag: number, ...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(1 + lengthOfLength(length) + length);
  let offset = writeHeader(out, 0, tag, length);
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export const seq = (...parts: Uint8Array[]): Uint8Array => tlv(TAG.sequence, ...parts);

/** A SET OF, with members sorted as DER requires (by their encodings). */
export function setOf(...members: Uint8Array[]): Uint8Array {
  const sorted = [...members].sort(compareBytes);
  return tlv(TAG.set, ...sorted);
}

/** Context-specific tag `[n]`, constructed (EXPLICIT or IMPLICIT SEQUENCE) unless `primitive`. */
export function ctx(n: number, parts: Uint8Array[], primitive = false): Uint8Array {
  return tlv((primitive ? 0x80 : 0xa0) | n, ...parts);
}

/** DER UTF8String. */
export const utf8String = (text: string): Uint8Array => tlv(TAG.utf8String, Buffer.from(text, 'utf8'));
export const octetString = (bytes: Uint8Array): Uint8Array => tlv(TAG.octetString, bytes);
export const NULL_DER: Uint8Array = Uint8Array.of(0x05, 0x00);
export const bool = (value: boolean): Uint8Array => Uint8Array.of(0x01, 0x01, value ? 0xff : 0x00);

/** BIT STRING with no unused bits. */
export const bitString = (bytes: Uint8Array): Uint8Array => tlv(TAG.bitString, Uint8Array.of(0), bytes);

/** INTEGER from a non-negative bigint/number or from unsigned big-endian bytes. */
export function integer(value: bigint | number | Uint8Array): Uint8Array {
  return tlv(TAG.integer, integerContent(value));
}

export function enumerated(value: number): Uint8Array {
  return tlv(TAG.enumerated, integerContent(value));
}

/** Minimal two's-complement content octets of a non-negative integer. */
export function integerContent(value: bigint | number | Uint8Array): Uint8Array {
  let bytes: Uint8Array;
  if (value instanceof Uint8Array) {
    bytes = value;
  } else {
    let v = BigInt(value);
    if (v < 0n) throw new RangeError('negative integers are not supported');
    const out: number[] = [];
    do {
      out.unshift(Number(v & 0xffn));
      v >>= 8n;
    } while (v > 0n);
    bytes = Uint8Array.from(out);
  }
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const trimmed = bytes.subarray(start);
  if (trimmed.length === 0) return Uint8Array.of(0);
  if ((trimmed[0]! & 0x80) !== 0) {
    const padded = new Uint8Array(trimmed.length + 1);
    padded.set(trimmed, 1);
    return padded;
  }
  return trimmed;
}

const oidCache = new Map<string, Uint8Array>();

/** OBJECT IDENTIFIER from dotted form; encodings are cached (the same few OIDs repeat constantly). */
export function oid(dotted: string): Uint8Array {
  const cached = oidCache.get(dotted);
  if (cached) return cached;
  const arcs = dotted.split('.').map((a) => BigInt(a));
  if (arcs.length < 2) throw new RangeError(`invalid OID ${dotted}`);
  const content: number[] = [];
  const pushArc = (arc: bigint): void => {
    const chunk: number[] = [Number(arc & 0x7fn)];
    arc >>= 7n;
    while (arc > 0n) {
      chunk.unshift(Number(arc & 0x7fn) | 0x80);
      arc >>= 7n;
    }
    content.push(...chunk);
  };
  pushArc(arcs[0]! * 40n + arcs[1]!);
  for (const arc of arcs.slice(2)) pushArc(arc);
  const encoded = tlv(TAG.oid, Uint8Array.from(content));
  oidCache.set(dotted, encoded);
  return encoded;
}

/** AlgorithmIdentifier; `params` undefined = absent, pass NULL_DER for an explicit NULL. */
export function algorithmIdentifier(algorithmOid: string, params?: Uint8Array): Uint8Array {
  return params ? seq(oid(algorithmOid), params) : seq(oid(algorithmOid));
}

const pad2 = (n: number): string => (n < 10 ? `0${n}` : String(n));

function timeDigits(date: Date, fourDigitYear: boolean): string {
  if (Number.isNaN(date.getTime())) throw new RangeError('invalid date');
  const y = date.getUTCFullYear();
  const year = fourDigitYear ? String(y).padStart(4, '0') : pad2(y % 100);
  return `${year}${pad2(date.getUTCMonth() + 1)}${pad2(date.getUTCDate())}${pad2(date.getUTCHours())}${pad2(date.getUTCMinutes())}${pad2(date.getUTCSeconds())}Z`;
}

export const generalizedTime = (date: Date): Uint8Array =>
  tlv(TAG.generalizedTime, Buffer.from(timeDigits(date, true), 'latin1'));

function putTwoDigits(out: Uint8Array, at: number, n: number): void {
  out[at] = 0x30 + Math.floor(n / 10);
  out[at + 1] = 0x30 + (n % 10);
}

/**
 * Writes an RFC 5280 Time (UTCTime through 2049, GeneralizedTime from 2050) at `offset` of `out`;
 * returns the offset after it. Written without strings or allocations (a CRL has a million of them);
 * `x509TimeLength` says how many bytes it takes.
 */
export function writeX509Time(out: Uint8Array, offset: number, date: Date): number {
  const y = date.getUTCFullYear();
  if (Number.isNaN(y)) throw new RangeError('invalid date');
  if (y < 1950 || y >= 2050) {
    const encoded = generalizedTime(date);
    out.set(encoded, offset);
    return offset + encoded.length;
  }
  out[offset] = TAG.utcTime;
  out[offset + 1] = 13;
  putTwoDigits(out, offset + 2, y % 100);
  putTwoDigits(out, offset + 4, date.getUTCMonth() + 1);
  putTwoDigits(out, offset + 6, date.getUTCDate());
  putTwoDigits(out, offset + 8, date.getUTCHours());
  putTwoDigits(out, offset + 10, date.getUTCMinutes());
  putTwoDigits(out, offset + 12, date.getUTCSeconds());
  out[offset + 14] = 0x5a;
  return offset + 15;
}

/** The encoded size of `writeX509Time(date)`. */
export function x509TimeLength(date: Date): number {
  const y = date.getUTCFullYear();
  if (Number.isNaN(y)) throw new RangeError('invalid date');
  return y < 1950 || y >= 2050 ? generalizedTime(date).length : 15;
}

/** RFC 5280 Time: UTCTime through 2049, GeneralizedTime from 2050. */
export function x509Time(date: Date): Uint8Array {
  const out = new Uint8Array(x509TimeLength(date));
  writeX509Time(out, 0, date);
  return out;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a[i]! - b[i]!;
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

const MAX_DEPTH = 48;

/** One TLV inside a buffer. Offsets only: nothing is copied until asked for. */
export class Asn1Node {
  constructor(
    readonly buf: Uint8Array,
    /** Identifier octet (single-byte tags only). */
    readonly tag: number,
    readonly start: number,
    readonly valueStart: number,
    readonly valueEnd: number,
    /** End of the whole TLV, including an end-of-contents marker for indefinite lengths. */
    readonly end: number,
    readonly depth: number,
  ) {}

  get constructed(): boolean {
    return (this.tag & 0x20) !== 0;
  }

  /** Value octets (for a primitive node) without copying. */
  get value(): Uint8Array {
    return this.buf.subarray(this.valueStart, this.valueEnd);
  }

  /** The whole TLV. */
  get raw(): Uint8Array {
    return this.buf.subarray(this.start, this.end);
  }

  /** Child TLVs of a constructed node. */
  children(): Asn1Node[] {
    if (!this.constructed) throw new Asn1DecodeError(`tag 0x${this.tag.toString(16)} is not constructed`);
    const out: Asn1Node[] = [];
    let offset = this.valueStart;
    while (offset < this.valueEnd) {
      const child = readNode(this.buf, offset, this.valueEnd, this.depth + 1);
      out.push(child);
      offset = child.end;
    }
    return out;
  }

  /** Iterates children without building an array (for very long lists such as CRL entries). */
  *iterate(): Generator<Asn1Node> {
    if (!this.constructed) throw new Asn1DecodeError(`tag 0x${this.tag.toString(16)} is not constructed`);
    let offset = this.valueStart;
    while (offset < this.valueEnd) {
      const child = readNode(this.buf, offset, this.valueEnd, this.depth + 1);
      yield child;
      offset = child.end;
    }
  }

  expect(tag: number, what: string): this {
    if (this.tag !== tag) {
      throw new Asn1DecodeError(`${what}: expected tag 0x${tag.toString(16)}, found 0x${this.tag.toString(16)}`);
    }
    return this;
  }

  /** The children, checking this node's tag first. */
  seq(what: string, tag: number = TAG.sequence): Asn1Node[] {
    return this.expect(tag, what).children();
  }
}

/** Reads the TLV starting at `offset`, which must end by `limit`. */
export function readNode(buf: Uint8Array, offset: number, limit: number, depth = 0): Asn1Node {
  if (depth > MAX_DEPTH) throw new Asn1DecodeError('ASN.1 nesting too deep');
  if (offset + 2 > limit) throw new Asn1DecodeError('truncated ASN.1 header');
  const tag = buf[offset]!;
  if ((tag & 0x1f) === 0x1f) throw new Asn1DecodeError('multi-byte ASN.1 tags are not supported');
  let pos = offset + 1;
  const first = buf[pos++]!;
  if (first === 0x80) {
    if ((tag & 0x20) === 0) throw new Asn1DecodeError('indefinite length on a primitive value');
    // Indefinite length (BER): walk children until the end-of-contents octets.
    const valueStart = pos;
    for (;;) {
      if (pos + 2 > limit) throw new Asn1DecodeError('unterminated indefinite-length value');
      if (buf[pos] === 0 && buf[pos + 1] === 0) {
        return new Asn1Node(buf, tag, offset, valueStart, pos, pos + 2, depth);
      }
      pos = readNode(buf, pos, limit, depth + 1).end;
    }
  }
  let length: number;
  if (first < 0x80) {
    length = first;
  } else {
    const n = first & 0x7f;
    if (n > 4) throw new Asn1DecodeError('ASN.1 length too large');
    if (pos + n > limit) throw new Asn1DecodeError('truncated ASN.1 length');
    length = 0;
    for (let i = 0; i < n; i++) length = length * 256 + buf[pos++]!;
  }
  const valueEnd = pos + length;
  if (valueEnd > limit) throw new Asn1DecodeError('ASN.1 value runs past its container');
  return new Asn1Node(buf, tag, offset, pos, valueEnd, valueEnd, depth);
}

/** Parses `buf` as exactly one TLV (trailing bytes are an error). */
export function readDer(buf: Uint8Array): Asn1Node {
  if (!(buf instanceof Uint8Array)) throw new Asn1DecodeError('input must be bytes');
  const node = readNode(buf, 0, buf.length);
  if (node.end !== buf.length) throw new Asn1DecodeError('trailing bytes after the ASN.1 value');
  return node;
}

/** Dotted OID from an OBJECT IDENTIFIER node. */
export function readOid(node: Asn1Node): string {
  node.expect(TAG.oid, 'OBJECT IDENTIFIER');
  const v = node.value;
  if (v.length === 0 || v.length > 64) throw new Asn1DecodeError('invalid OBJECT IDENTIFIER length');
  const arcs: string[] = [];
  let acc = 0n;
  let firstArc = true;
  for (let i = 0; i < v.length; i++) {
    const b = v[i]!;
    acc = (acc << 7n) | BigInt(b & 0x7f);
    if ((b & 0x80) === 0) {
      if (firstArc) {
        const first = acc < 80n ? acc / 40n : 2n;
        arcs.push(String(first), String(acc - first * 40n));
        firstArc = false;
      } else {
        arcs.push(String(acc));
      }
      acc = 0n;
    } else if (i === v.length - 1) {
      throw new Asn1DecodeError('truncated OBJECT IDENTIFIER');
    }
  }
  return arcs.join('.');
}

/** Unsigned magnitude bytes of an INTEGER (leading 0x00 bytes stripped, at least one byte). */
export function readUnsignedIntegerBytes(node: Asn1Node, what = 'INTEGER'): Uint8Array {
  node.expect(TAG.integer, what);
  const v = node.value;
  if (v.length === 0) throw new Asn1DecodeError(`${what}: empty INTEGER`);
  let start = 0;
  while (start < v.length - 1 && v[start] === 0) start++;
  return v.subarray(start);
}

/** A small INTEGER or ENUMERATED as a number. */
export function readSmallInt(node: Asn1Node, what = 'INTEGER', tag: number = TAG.integer): number {
  node.expect(tag, what);
  const v = node.value;
  if (v.length === 0 || v.length > 6) throw new Asn1DecodeError(`${what}: out of range`);
  if ((v[0]! & 0x80) !== 0) throw new Asn1DecodeError(`${what}: negative`);
  let n = 0;
  for (const b of v) n = n * 256 + b;
  return n;
}

export function readBigInt(node: Asn1Node, what = 'INTEGER'): bigint {
  const v = readUnsignedIntegerBytes(node, what);
  if ((node.value[0]! & 0x80) !== 0) throw new Asn1DecodeError(`${what}: negative`);
  return v.length === 0 ? 0n : BigInt(`0x${Buffer.from(v).toString('hex')}`);
}

/** Content of a BIT STRING with zero unused bits. */
export function readBitStringBytes(node: Asn1Node, what = 'BIT STRING'): Uint8Array {
  node.expect(TAG.bitString, what);
  const v = node.value;
  if (v.length === 0) throw new Asn1DecodeError(`${what}: empty`);
  return v.subarray(1);
}

/** OCTET STRING content; constructed (BER) OCTET STRINGs are concatenated. */
export function readOctetString(node: Asn1Node, what = 'OCTET STRING'): Uint8Array {
  if (node.tag === TAG.octetString) return node.value;
  if (node.tag === (TAG.octetString | 0x20)) {
    return concatBytes(node.children().map((c) => readOctetString(c, what)));
  }
  throw new Asn1DecodeError(`${what}: expected an OCTET STRING, found tag 0x${node.tag.toString(16)}`);
}

/** Implicitly tagged OCTET STRING content ([n] primitive or constructed). */
export function readImplicitOctets(node: Asn1Node): Uint8Array {
  if (node.constructed) return concatBytes(node.children().map((c) => readOctetString(c)));
  return node.value;
}

const TIME_PATTERN = /^(\d{2}|\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})?(?:\.(\d+))?Z$/;

/** UTCTime or GeneralizedTime (Zulu only) as a Date. */
export function readTime(node: Asn1Node, what = 'time'): Date {
  if (node.tag !== TAG.utcTime && node.tag !== TAG.generalizedTime) {
    throw new Asn1DecodeError(`${what}: expected UTCTime or GeneralizedTime`);
  }
  const text = Buffer.from(node.value).toString('latin1');
  const m = TIME_PATTERN.exec(text);
  if (!m) throw new Asn1DecodeError(`${what}: unsupported time format`);
  const utc = node.tag === TAG.utcTime;
  if (utc !== (m[1]!.length === 2)) throw new Asn1DecodeError(`${what}: wrong year length`);
  let year = Number(m[1]);
  if (utc) year += year < 50 ? 2000 : 1900;
  const millis = m[7] ? Number(`0.${m[7]}`) * 1000 : 0;
  const date = new Date(
    Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), millis),
  );
  if (Number.isNaN(date.getTime())) throw new Asn1DecodeError(`${what}: invalid date`);
  return date;
}

/** Lowercase hex of bytes. */
export const toHex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
