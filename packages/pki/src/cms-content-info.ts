/**
 * CMS ContentInfo (RFC 5652 section 3) wrapping and unwrapping, the content type OIDs and the
 * issuerAndSerialNumber / subjectKeyIdentifier recipient and signer identifiers shared by
 * SignedData and EnvelopedData.
 */
import { MalformedInputError } from '@certctl/core';
import {
  type Asn1Node,
  bytesEqual,
  ctx,
  integer,
  oid,
  readDer,
  readOid,
  readUnsignedIntegerBytes,
  seq,
  TAG,
} from './asn1-der.js';
import type { CertificateFields } from './asn1-certificate-fields.js';
import { derFromPemOrDer } from './pem.js';

export const CMS_CONTENT_TYPES = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  authEnvelopedData: '1.2.840.113549.1.9.16.1.23',
} as const;

/** Bytes of a CMS/PKCS#7 structure: DER or PEM (`PKCS7` or `CMS`). */
export type CmsInput = Uint8Array | string;

export function cmsMalformed(message: string, cause?: unknown): MalformedInputError {
  return new MalformedInputError({ inputKind: 'pkcs7', message, cause });
}

/** Runs a parser, turning any failure into MalformedInputError (`pkcs7`). */
export function guardCms<T>(what: string, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    if (MalformedInputError.isInstance(cause)) throw cause;
    throw cmsMalformed(`${what} could not be parsed: ${(cause as Error).message}`, cause);
  }
}

export function wrapContentInfo(contentType: string, content: Uint8Array): Uint8Array {
  return seq(oid(contentType), ctx(0, [content]));
}

/** Reads a ContentInfo; returns its type and the content node. */
export function readContentInfo(input: CmsInput): { contentType: string; content: Asn1Node; der: Uint8Array } {
  const der = derFromPemOrDer(input, ['PKCS7', 'CMS'], 'pkcs7');
  return guardCms('CMS ContentInfo', () => {
    const [typeNode, explicit, extra] = readDer(der).seq('ContentInfo');
    if (!typeNode || !explicit || extra || explicit.tag !== 0xa0)
      throw new Error('ContentInfo must have a type and [0] content');
    const [content, more] = explicit.children();
    if (!content || more) throw new Error('ContentInfo [0] must hold exactly one value');
    return { contentType: readOid(typeNode), content, der };
  });
}

/** IssuerAndSerialNumber of a certificate. */
export function issuerAndSerialNumber(cert: CertificateFields): Uint8Array {
  return seq(cert.issuerDer, integer(cert.serialBytes));
}

export type CmsIdentifier = { issuerDer: Uint8Array; serial: Uint8Array } | { subjectKeyIdentifier: Uint8Array };

/** Reads a SignerIdentifier / RecipientIdentifier (issuerAndSerialNumber or [0] subjectKeyIdentifier). */
export function readCmsIdentifier(node: Asn1Node): CmsIdentifier {
  if (node.tag === 0x80) return { subjectKeyIdentifier: node.value };
  const [issuer, serial] = node.seq('IssuerAndSerialNumber');
  if (!issuer || !serial) throw new Error('IssuerAndSerialNumber is truncated');
  issuer.expect(TAG.sequence, 'issuer');
  return { issuerDer: issuer.raw, serial: readUnsignedIntegerBytes(serial, 'serialNumber') };
}

export function identifierMatches(id: CmsIdentifier, cert: CertificateFields): boolean {
  if ('subjectKeyIdentifier' in id) {
    return cert.subjectKeyIdentifier !== undefined && bytesEqual(cert.subjectKeyIdentifier, id.subjectKeyIdentifier);
  }
  return bytesEqual(id.issuerDer, cert.issuerDer) && bytesEqual(id.serial, cert.serialBytes);
}
