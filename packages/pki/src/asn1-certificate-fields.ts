/**
 * The handful of certificate fields CRL, OCSP, CMS and PKCS#12 code needs (issuer and subject DER,
 * serial, SPKI, key identifier), read straight from the DER without building an object model.
 */
import { MalformedInputError } from '@certctl/core';
import {
  readBitStringBytes,
  readDer,
  readOctetString,
  readOid,
  readTime,
  readUnsignedIntegerBytes,
  TAG,
  toHex,
} from './asn1-der.js';
import { derFromPemOrDer } from './pem.js';

/** A certificate as PEM text or DER bytes. */
export type CertificateInput = string | Uint8Array | ArrayBuffer;

export interface CertificateFields {
  der: Uint8Array;
  tbs: Uint8Array;
  /** Serial as unsigned big-endian bytes (leading zero bytes stripped). */
  serialBytes: Uint8Array;
  /** Serial as lowercase hex of `serialBytes`. */
  serialHex: string;
  issuerDer: Uint8Array;
  subjectDer: Uint8Array;
  /** The whole SubjectPublicKeyInfo. */
  spkiDer: Uint8Array;
  /** Contents of the subjectPublicKey BIT STRING (what OCSP and SKI hash). */
  subjectPublicKey: Uint8Array;
  subjectKeyIdentifier: Uint8Array | undefined;
  notBefore: Date;
  notAfter: Date;
}

const SKI_OID = '2.5.29.14';
const fieldCache = new WeakMap<Uint8Array, CertificateFields>();

/** Reads the fields of a certificate; throws MalformedInputError (inputKind `certificate`) on bad input. */
export function readCertificateFields(input: CertificateInput | CertificateFields): CertificateFields {
  if (isCertificateFields(input)) return input;
  const der = derFromPemOrDer(input, 'CERTIFICATE', 'certificate');
  const cached = fieldCache.get(der);
  if (cached) return cached;
  try {
    const fields = parseCertificateFields(der);
    fieldCache.set(der, fields);
    return fields;
  } catch (cause) {
    if (MalformedInputError.isInstance(cause)) throw cause;
    throw new MalformedInputError({
      inputKind: 'certificate',
      message: `certificate could not be parsed: ${(cause as Error).message}`,
      cause,
    });
  }
}

function isCertificateFields(value: unknown): value is CertificateFields {
  return typeof value === 'object' && value !== null && 'tbs' in value && 'spkiDer' in value;
}

/** Same as readCertificateFields on an already-parsed node (used for certificates embedded in CMS/OCSP). */
export function parseCertificateFields(der: Uint8Array): CertificateFields {
  const [tbsNode] = readDer(der).seq('Certificate');
  if (!tbsNode) throw new Error('Certificate is empty');
  const tbs = tbsNode.seq('TBSCertificate');
  let i = 0;
  if (tbs[0]?.tag === 0xa0) i++; // version
  const serialNode = tbs[i++];
  const _signature = tbs[i++];
  const issuer = tbs[i++];
  const validity = tbs[i++];
  const subject = tbs[i++];
  const spki = tbs[i++];
  if (!serialNode || !_signature || !issuer || !validity || !subject || !spki)
    throw new Error('TBSCertificate is truncated');
  issuer.expect(TAG.sequence, 'issuer');
  subject.expect(TAG.sequence, 'subject');
  const [notBeforeNode, notAfterNode] = validity.seq('Validity');
  if (!notBeforeNode || !notAfterNode) throw new Error('Validity is truncated');
  const spkiChildren = spki.seq('SubjectPublicKeyInfo');
  const keyBits = spkiChildren[1];
  if (!keyBits) throw new Error('SubjectPublicKeyInfo is truncated');
  let subjectKeyIdentifier: Uint8Array | undefined;
  for (const node of tbs.slice(i)) {
    if (node.tag !== 0xa3) continue;
    const [extensions] = node.children();
    for (const ext of extensions?.seq('Extensions') ?? []) {
      const parts = ext.seq('Extension');
      if (parts[0] && readOid(parts[0]) === SKI_OID) {
        const value = parts[parts.length - 1]!;
        subjectKeyIdentifier = readOctetString(readDer(readOctetString(value)), 'SubjectKeyIdentifier');
      }
    }
  }
  const serialBytes = readUnsignedIntegerBytes(serialNode, 'serialNumber');
  return {
    der,
    tbs: tbsNode.raw,
    serialBytes,
    serialHex: toHex(serialBytes),
    issuerDer: issuer.raw,
    subjectDer: subject.raw,
    spkiDer: spki.raw,
    subjectPublicKey: readBitStringBytes(keyBits, 'subjectPublicKey'),
    subjectKeyIdentifier,
    notBefore: readTime(notBeforeNode, 'notBefore'),
    notAfter: readTime(notAfterNode, 'notAfter'),
  };
}

const HEX_ONLY = /^[0-9a-fA-F]+$/;

/** Normalises a serial given as hex (colons/spaces allowed) to unsigned bytes, leading 00 bytes stripped. */
export function serialHexToBytes(serial: string): Uint8Array {
  const hex = HEX_ONLY.test(serial) ? serial : serial.replace(/[:\s]/g, '');
  if (hex.length === 0 || hex.length > 80 || !HEX_ONLY.test(hex)) {
    throw new MalformedInputError({
      inputKind: 'serial',
      message: `serial "${serial.slice(0, 90)}" is not a hex string`,
    });
  }
  const bytes = Buffer.from(hex.length % 2 === 1 ? `0${hex}` : hex, 'hex');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return new Uint8Array(bytes.subarray(start));
}

/** Canonical lowercase hex form of a serial (the form every parser in this package returns). */
export function normalizeSerialHex(serial: string): string {
  return toHex(serialHexToBytes(serial));
}
