/**
 * X.509 v2 CRLs (RFC 5280 section 5): build and sign, parse, verify.
 *
 * The revokedCertificates list is written straight into one preallocated buffer: @peculiar/x509's
 * generator builds an object per entry and re-serialises through asn1js, which takes seconds for a
 * 100,000-entry CRL; this path takes tens of milliseconds and signs with node:crypto (RSA, ECDSA,
 * Ed25519).
 */
import { createHash } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import {
  type Asn1Node,
  bitString,
  bool,
  ctx,
  enumerated,
  integer,
  lengthOfLength,
  octetString,
  oid,
  readBigInt,
  readBitStringBytes,
  readDer,
  readOctetString,
  readOid,
  readSmallInt,
  readTime,
  readUnsignedIntegerBytes,
  seq,
  TAG,
  toHex,
  writeHeader,
  writeX509Time,
  x509Time,
  x509TimeLength,
} from './asn1-der.js';
import { type CertificateInput, readCertificateFields, serialHexToBytes } from './asn1-certificate-fields.js';
import {
  type PrivateKeyInput,
  type SignatureHash,
  signBytes,
  signingAlgorithmFor,
  verifySignatureWithSpki,
} from './asn1-signing.js';
import { x509 } from './crypto-provider.js';
import { derFromPemOrDer } from './pem.js';

/** RFC 5280 CRLReason names (value 7 is unused). */
export const CRL_REASONS = [
  'unspecified',
  'keyCompromise',
  'cACompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
  'certificateHold',
  undefined,
  'removeFromCRL',
  'privilegeWithdrawn',
  'aACompromise',
] as const;

export type CrlReason = Exclude<(typeof CRL_REASONS)[number], undefined>;

export function crlReasonCode(reason: CrlReason): number {
  const code = CRL_REASONS.indexOf(reason);
  if (code < 0)
    throw new MalformedInputError({ inputKind: 'crl-entry', message: `unknown CRL reason "${String(reason)}"` });
  return code;
}

export function crlReasonFromCode(code: number): CrlReason | undefined {
  return CRL_REASONS[code];
}

export interface CrlEntryInput {
  /** Certificate serial in hex (colons allowed). */
  serial: string;
  revokedAt: Date;
  /** Omitted or `unspecified`: no reasonCode extension (RFC 5280 5.3.1). */
  reason?: CrlReason;
}

export interface BuildCrlOptions {
  /** The CA certificate whose key signs the CRL (issuer name and key identifier come from it). */
  issuerCertificate: CertificateInput;
  signingKey: PrivateKeyInput;
  /** Monotonically increasing CRL number (RFC 5280 5.2.3). */
  crlNumber: bigint | number;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: Iterable<CrlEntryInput>;
  /** For a delta CRL: the number of the base CRL it updates (critical deltaCRLIndicator). */
  deltaOfCrlNumber?: bigint | number;
  /** Digest for RSA/ECDSA signatures; default sha256 for RSA and the curve's hash for ECDSA. */
  signatureHash?: SignatureHash;
}

const OID_CRL_NUMBER = '2.5.29.20';
const OID_REASON_CODE = '2.5.29.21';
const OID_DELTA_CRL_INDICATOR = '2.5.29.27';
const OID_AKI = '2.5.29.35';

function extension(extnOid: string, value: Uint8Array, critical = false): Uint8Array {
  return critical ? seq(oid(extnOid), bool(true), octetString(value)) : seq(oid(extnOid), octetString(value));
}

/** crlEntryExtensions (a SEQUENCE OF Extension) holding only a reasonCode, precomputed per reason. */
const REASON_EXTENSIONS: (Uint8Array | undefined)[] = CRL_REASONS.map((reason, code) =>
  reason === undefined || code === 0 ? undefined : seq(extension(OID_REASON_CODE, enumerated(code))),
);

/** Hex digit values by character code; SEPARATOR for ':' and ASCII white space (allowed in serials); -1 otherwise. */
const SEPARATOR = -2;
const HEX_VALUES = (() => {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < 10; i++) table[0x30 + i] = i;
  for (let i = 0; i < 6; i++) {
    table[0x41 + i] = 10 + i;
    table[0x61 + i] = 10 + i;
  }
  for (const c of ': \t\n\v\f\r') table[c.charCodeAt(0)] = SEPARATOR;
  return table;
})();

/**
 * The INTEGER content length of a hex serial (magnitude without leading zero bytes, plus a 00 byte
 * when the top bit is set), read without allocating; -1 when the string needs the general parser
 * (which also produces the error for a malformed serial).
 */
function serialContentLength(serial: string): number {
  let digits = 0;
  let significant = 0;
  let first = 0;
  for (let i = 0; i < serial.length; i++) {
    const code = serial.charCodeAt(i);
    const value = code < 128 ? HEX_VALUES[code]! : -1;
    if (value === SEPARATOR) continue;
    if (value < 0) return -1;
    digits++;
    if (significant === 0 && value === 0) continue;
    if (significant === 0) first = value;
    significant++;
  }
  if (digits === 0 || digits > 80) return -1;
  if (significant === 0) return 1;
  const bytes = (significant + 1) >> 1;
  // With an even digit count the first significant digit is the top byte's high nibble.
  return significant % 2 === 0 && first >= 8 ? bytes + 1 : bytes;
}

/** Writes the serial's INTEGER content (measured by serialContentLength) at `offset`; returns the offset after it. */
function writeSerialContent(out: Uint8Array, offset: number, serial: string, contentLength: number): number {
  const end = offset + contentLength;
  // Fill from the last digit backwards: leading zero digits then fall off the front by themselves.
  let at = end - 1;
  let low = true;
  for (let i = serial.length - 1; i >= 0 && at >= offset; i--) {
    const value = HEX_VALUES[serial.charCodeAt(i)]!;
    if (value === SEPARATOR) continue;
    if (low) out[at] = value;
    else {
      out[at] = out[at]! | (value << 4);
      at--;
    }
    low = !low;
  }
  return end;
}

/**
 * The revokedCertificates SEQUENCE, or undefined when the list is empty (the field is then omitted).
 * Two passes over the entries: the first measures each one into typed arrays, the second writes
 * straight into the one output buffer, so a million entries allocate nothing per entry.
 */
function encodeRevokedCertificates(input: Iterable<CrlEntryInput>): Uint8Array | undefined {
  const entries = Array.isArray(input) ? (input as readonly CrlEntryInput[]) : [...input];
  if (entries.length === 0) return undefined;
  const serialLengths = new Uint8Array(entries.length);
  const reasons = new Uint8Array(entries.length);
  const slowSerials = new Map<number, Uint8Array>();
  let total = 0;
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    let serialLength = serialContentLength(entry.serial);
    if (serialLength < 0) {
      // Unicode white space or a malformed serial: the general parser accepts the one, explains the other.
      const magnitude = serialHexToBytes(entry.serial);
      const serial = (magnitude[0]! & 0x80) === 0 ? magnitude : Uint8Array.of(0, ...magnitude);
      slowSerials.set(i, serial);
      serialLength = serial.length;
    }
    const ms = entry.revokedAt.getTime();
    if (Number.isNaN(ms))
      throw new MalformedInputError({
        inputKind: 'crl-entry',
        message: `serial ${entry.serial}: invalid revocation date`,
      });
    const reason = entry.reason === undefined ? 0 : crlReasonCode(entry.reason);
    serialLengths[i] = serialLength;
    reasons[i] = reason;
    const contentLength =
      1 +
      lengthOfLength(serialLength) +
      serialLength +
      x509TimeLength(entry.revokedAt) +
      (REASON_EXTENSIONS[reason]?.length ?? 0);
    total += 1 + lengthOfLength(contentLength) + contentLength;
  }
  const out = new Uint8Array(1 + lengthOfLength(total) + total);
  let offset = writeHeader(out, 0, TAG.sequence, total);
  for (let i = 0; i < entries.length; i++) {
    const entry = entries[i]!;
    const serialLength = serialLengths[i]!;
    const ext = REASON_EXTENSIONS[reasons[i]!];
    const contentLength =
      1 + lengthOfLength(serialLength) + serialLength + x509TimeLength(entry.revokedAt) + (ext?.length ?? 0);
    offset = writeHeader(out, offset, TAG.sequence, contentLength);
    offset = writeHeader(out, offset, TAG.integer, serialLength);
    const slow = slowSerials.get(i);
    if (slow) {
      out.set(slow, offset);
      offset += slow.length;
    } else offset = writeSerialContent(out, offset, entry.serial, serialLength);
    offset = writeX509Time(out, offset, entry.revokedAt);
    if (ext) {
      out.set(ext, offset);
      offset += ext.length;
    }
  }
  return out;
}

function authorityKeyIdentifierFor(issuer: ReturnType<typeof readCertificateFields>): Uint8Array {
  const keyId = issuer.subjectKeyIdentifier ?? createHash('sha1').update(issuer.subjectPublicKey).digest();
  return seq(ctx(0, [keyId], true));
}

/** Builds and signs a v2 CRL; returns its DER. */
export async function buildCrl(options: BuildCrlOptions): Promise<Uint8Array> {
  const issuer = readCertificateFields(options.issuerCertificate);
  const algorithm = signingAlgorithmFor(options.signingKey, options.signatureHash);
  if (!(options.nextUpdate.getTime() > options.thisUpdate.getTime())) {
    throw new MalformedInputError({ inputKind: 'crl', message: 'nextUpdate must be after thisUpdate' });
  }
  const crlExtensions = [
    extension(OID_AKI, authorityKeyIdentifierFor(issuer)),
    extension(OID_CRL_NUMBER, integer(options.crlNumber)),
  ];
  if (options.deltaOfCrlNumber !== undefined) {
    crlExtensions.push(extension(OID_DELTA_CRL_INDICATOR, integer(options.deltaOfCrlNumber), true));
  }
  const revoked = encodeRevokedCertificates(options.entries);
  const tbsParts = [
    integer(1),
    algorithm.algorithmIdentifier,
    issuer.subjectDer,
    x509Time(options.thisUpdate),
    x509Time(options.nextUpdate),
  ];
  if (revoked) tbsParts.push(revoked);
  tbsParts.push(ctx(0, [seq(...crlExtensions)]));
  const tbs = seq(...tbsParts);
  const signature = signBytes(algorithm, tbs);
  return seq(tbs, algorithm.algorithmIdentifier, bitString(signature));
}

export interface CrlEntry {
  /** Lowercase hex, leading zero bytes stripped. */
  serial: string;
  revokedAt: Date;
  reason: CrlReason | undefined;
  /** Invalidity date (2.5.29.24) when present. */
  invalidityDate: Date | undefined;
}

export interface ParsedCrl {
  der: Uint8Array;
  version: number;
  issuerDer: Uint8Array;
  /** RFC 4514 form of the issuer DN (for display and logs). */
  issuer: string;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
  crlNumber: bigint | undefined;
  /** Base CRL number when this is a delta CRL. */
  deltaOfCrlNumber: bigint | undefined;
  authorityKeyIdentifier: Uint8Array | undefined;
  entries: CrlEntry[];
  signatureAlgorithmOid: string;
  /** Internal: what the signature covers. */
  tbsDer: Uint8Array;
  signature: Uint8Array;
}

const OID_INVALIDITY_DATE = '2.5.29.24';

function malformedCrl(message: string, cause?: unknown): MalformedInputError {
  return new MalformedInputError({ inputKind: 'crl', message, cause });
}

/** Parses a CRL (DER or PEM "X509 CRL"); throws MalformedInputError (`crl`) on anything invalid. */
export function parseCrl(input: Uint8Array | string): ParsedCrl {
  const der = derFromPemOrDer(input, 'X509 CRL', 'crl');
  try {
    return parseCrlDer(der);
  } catch (cause) {
    if (MalformedInputError.isInstance(cause)) throw cause;
    throw malformedCrl(`CRL could not be parsed: ${(cause as Error).message}`, cause);
  }
}

function readDnString(nameDer: Uint8Array): string {
  try {
    return new x509.Name(new Uint8Array(nameDer)).toString();
  } catch {
    throw new Error('issuer name is not a valid DN');
  }
}

function parseCrlDer(der: Uint8Array): ParsedCrl {
  const [tbsNode, sigAlg, sigValue, extra] = readDer(der).seq('CertificateList');
  if (!tbsNode || !sigAlg || !sigValue || extra) throw new Error('CertificateList must have three fields');
  const signatureAlgorithmOid = readOid(sigAlg.seq('signatureAlgorithm')[0] ?? sigAlg);
  const tbs = tbsNode.seq('TBSCertList');
  let i = 0;
  let version = 1;
  if (tbs[0]?.tag === TAG.integer) version = readSmallInt(tbs[i++]!, 'version') + 1;
  const innerAlg = tbs[i++];
  const issuerNode = tbs[i++];
  const thisUpdateNode = tbs[i++];
  if (!innerAlg || !issuerNode || !thisUpdateNode) throw new Error('TBSCertList is truncated');
  innerAlg.expect(TAG.sequence, 'signature');
  issuerNode.expect(TAG.sequence, 'issuer');
  const thisUpdate = readTime(thisUpdateNode, 'thisUpdate');
  let nextUpdate: Date | undefined;
  if (tbs[i] && (tbs[i]!.tag === TAG.utcTime || tbs[i]!.tag === TAG.generalizedTime))
    nextUpdate = readTime(tbs[i++]!, 'nextUpdate');
  const entries: CrlEntry[] = [];
  if (tbs[i]?.tag === TAG.sequence) {
    for (const entry of tbs[i++]!.iterate()) entries.push(parseEntry(entry));
  }
  let crlNumber: bigint | undefined;
  let deltaOfCrlNumber: bigint | undefined;
  let authorityKeyIdentifier: Uint8Array | undefined;
  if (tbs[i]?.tag === 0xa0) {
    const [extensions] = tbs[i++]!.children();
    for (const ext of extensions?.seq('crlExtensions') ?? []) {
      const { extnOid, value } = readExtension(ext);
      if (extnOid === OID_CRL_NUMBER) crlNumber = readBigInt(readDer(value), 'cRLNumber');
      else if (extnOid === OID_DELTA_CRL_INDICATOR) deltaOfCrlNumber = readBigInt(readDer(value), 'deltaCRLIndicator');
      else if (extnOid === OID_AKI) {
        for (const field of readDer(value).seq('AuthorityKeyIdentifier')) {
          if (field.tag === 0x80) authorityKeyIdentifier = field.value;
        }
      }
    }
  }
  if (i !== tbs.length) throw new Error('unexpected fields at the end of TBSCertList');
  return {
    der,
    version,
    issuerDer: issuerNode.raw,
    issuer: readDnString(issuerNode.raw),
    thisUpdate,
    nextUpdate,
    crlNumber,
    deltaOfCrlNumber,
    authorityKeyIdentifier,
    entries,
    signatureAlgorithmOid,
    tbsDer: tbsNode.raw,
    signature: readBitStringBytes(sigValue, 'signatureValue'),
  };
}

function readExtension(ext: Asn1Node): { extnOid: string; critical: boolean; value: Uint8Array } {
  const parts = ext.seq('Extension');
  const oidNode = parts[0];
  const valueNode = parts[parts.length - 1];
  if (!oidNode || !valueNode || parts.length < 2 || parts.length > 3) throw new Error('malformed Extension');
  const critical = parts.length === 3 && parts[1]!.tag === TAG.boolean && parts[1]!.value[0] !== 0;
  return { extnOid: readOid(oidNode), critical, value: readOctetString(valueNode, 'extnValue') };
}

function parseEntry(node: Asn1Node): CrlEntry {
  const [serialNode, dateNode, extensions] = node.seq('revokedCertificate');
  if (!serialNode || !dateNode) throw new Error('revoked certificate entry is truncated');
  let reason: CrlReason | undefined;
  let invalidityDate: Date | undefined;
  if (extensions) {
    for (const ext of extensions.seq('crlEntryExtensions')) {
      const { extnOid, value } = readExtension(ext);
      if (extnOid === OID_REASON_CODE) {
        const code = readSmallInt(readDer(value), 'reasonCode', TAG.enumerated);
        reason = crlReasonFromCode(code);
        if (!reason) throw new Error(`unknown reason code ${code}`);
      } else if (extnOid === OID_INVALIDITY_DATE) {
        invalidityDate = readTime(readDer(value), 'invalidityDate');
      }
    }
  }
  return {
    serial: toHex(readUnsignedIntegerBytes(serialNode, 'userCertificate')),
    revokedAt: readTime(dateNode, 'revocationDate'),
    reason,
    invalidityDate,
  };
}

/** Whether the CRL is signed by the key of `issuerCertificate` and names it as issuer. */
export function verifyCrlSignature(crl: ParsedCrl | Uint8Array | string, issuerCertificate: CertificateInput): boolean {
  const parsed = crl instanceof Uint8Array || typeof crl === 'string' ? parseCrl(crl) : crl;
  const issuer = readCertificateFields(issuerCertificate);
  if (Buffer.compare(Buffer.from(issuer.subjectDer), Buffer.from(parsed.issuerDer)) !== 0) return false;
  const [, sigAlg] = readDer(parsed.der).children();
  try {
    return verifySignatureWithSpki(sigAlg!, issuer.spkiDer, parsed.tbsDer, parsed.signature);
  } catch (cause) {
    throw malformedCrl(`CRL signature could not be checked: ${(cause as Error).message}`, cause);
  }
}
