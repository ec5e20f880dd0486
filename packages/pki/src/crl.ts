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
  x509Time,
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

/** The revokedCertificates SEQUENCE, or undefined when the list is empty (the field is then omitted). */
function encodeRevokedCertificates(entries: Iterable<CrlEntryInput>): Uint8Array | undefined {
  const serials: Uint8Array[] = [];
  const times: Uint8Array[] = [];
  const extensions: (Uint8Array | undefined)[] = [];
  const contentLengths: number[] = [];
  let total = 0;
  let lastTimeMs = Number.NaN;
  let lastTime: Uint8Array = new Uint8Array(0);
  for (const entry of entries) {
    const magnitude = serialHexToBytes(entry.serial);
    let serial = magnitude;
    if ((magnitude[0]! & 0x80) !== 0) {
      serial = new Uint8Array(magnitude.length + 1);
      serial.set(magnitude, 1);
    }
    const ms = entry.revokedAt.getTime();
    if (Number.isNaN(ms))
      throw new MalformedInputError({
        inputKind: 'crl-entry',
        message: `serial ${entry.serial}: invalid revocation date`,
      });
    // Revocations come in bursts with equal timestamps; reuse the encoding.
    if (ms !== lastTimeMs) {
      lastTime = x509Time(entry.revokedAt);
      lastTimeMs = ms;
    }
    const ext = entry.reason === undefined ? undefined : REASON_EXTENSIONS[crlReasonCode(entry.reason)];
    const contentLength = 1 + lengthOfLength(serial.length) + serial.length + lastTime.length + (ext?.length ?? 0);
    serials.push(serial);
    times.push(lastTime);
    extensions.push(ext);
    contentLengths.push(contentLength);
    total += 1 + lengthOfLength(contentLength) + contentLength;
  }
  if (serials.length === 0) return undefined;
  const out = new Uint8Array(1 + lengthOfLength(total) + total);
  let offset = writeHeader(out, 0, TAG.sequence, total);
  for (let i = 0; i < serials.length; i++) {
    const serial = serials[i]!;
    offset = writeHeader(out, offset, TAG.sequence, contentLengths[i]!);
    offset = writeHeader(out, offset, TAG.integer, serial.length);
    out.set(serial, offset);
    offset += serial.length;
    out.set(times[i]!, offset);
    offset += times[i]!.length;
    const ext = extensions[i];
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
