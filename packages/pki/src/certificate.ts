/** Parsing X.509 certificates into plain typed values. */
import { MalformedInputError } from '@certctl/core';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { readDer, readTime, readUnsignedIntegerBytes, TAG } from './asn1-der.js';
import { decodeExtensions, type ParsedExtensions } from './certificate-extensions.js';
import { describeName } from './distinguished-name.js';
import { describePublicKey, type PublicKeyDescription } from './keys.js';
import { derFromPemOrDer, derToPem, splitPemBundle } from './pem.js';
import { serialHexFromDerContent } from './serial.js';
import { signatureAlgorithmName } from './signature-algorithm-names.js';

/** A certificate as PEM text or DER bytes. */
export type CertificateInput = string | Uint8Array | ArrayBuffer;

export interface ParsedCertificate extends ParsedExtensions {
  der: Uint8Array;
  pem: string;
  /** 1, 2 or 3. */
  version: number;
  /** Lowercase hex, leading zero bytes stripped (as openssl prints it). */
  serialNumber: string;
  /** Raw content bytes of the serial's DER INTEGER (with a leading 00 when the high bit is set). */
  serialNumberBytes: Uint8Array;
  subject: string;
  subjectCommonName: string | undefined;
  /** emailAddress attributes of the subject DN. */
  subjectEmailAddresses: string[];
  subjectDer: Uint8Array;
  issuer: string;
  issuerCommonName: string | undefined;
  issuerDer: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  publicKey: PublicKeyDescription;
  spki: Uint8Array;
  /** A name such as `ecdsa-with-SHA256`, or the OID when unknown. */
  signatureAlgorithm: string;
  /** Subject and issuer names are equal (a root or a self-issued re-key certificate). */
  selfIssued: boolean;
  /** The signed part, for signature checks. */
  tbsDer: Uint8Array;
  signatureValue: Uint8Array;
}

const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((v, i) => v === b[i]);

/** Parses a certificate (PEM or DER). Anything unparseable is a MalformedInputError ('certificate'). */
export function parseCertificate(input: CertificateInput): ParsedCertificate {
  const inputKind = 'certificate';
  const der = derFromPemOrDer(input, ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'], inputKind);
  let certificate: Certificate;
  try {
    certificate = AsnConvert.parse(der, Certificate);
  } catch (cause) {
    throw new MalformedInputError({ inputKind, message: 'bytes are not a DER X.509 certificate', cause });
  }
  try {
    const tbs = certificate.tbsCertificate;
    const subjectDer = new Uint8Array(AsnConvert.serialize(tbs.subject));
    const issuerDer = new Uint8Array(AsnConvert.serialize(tbs.issuer));
    const spki = new Uint8Array(AsnConvert.serialize(tbs.subjectPublicKeyInfo));
    const subject = describeName(subjectDer);
    const issuer = describeName(issuerDer);
    const serialNumberBytes = new Uint8Array(tbs.serialNumber);
    if (serialNumberBytes.length === 0) throw new Error('empty serial number');
    const extensions = decodeExtensions(
      (tbs.extensions ?? []).map((e) => ({
        oid: e.extnID,
        critical: e.critical,
        value: new Uint8Array(e.extnValue.buffer),
      })),
      inputKind,
    );
    const notBefore = tbs.validity.notBefore.getTime();
    const notAfter = tbs.validity.notAfter.getTime();
    if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw new Error('invalid validity time');
    return {
      ...extensions,
      der,
      pem: derToPem(der, 'CERTIFICATE'),
      version: tbs.version + 1,
      serialNumber: serialHexFromDerContent(serialNumberBytes),
      serialNumberBytes,
      subject: subject.text,
      subjectCommonName: subject.commonName,
      subjectEmailAddresses: subject.emailAddresses,
      subjectDer,
      issuer: issuer.text,
      issuerCommonName: issuer.commonName,
      issuerDer,
      notBefore,
      notAfter,
      publicKey: describePublicKey(spki),
      spki,
      signatureAlgorithm: signatureAlgorithmName(certificate.signatureAlgorithm.algorithm),
      selfIssued: bytesEqual(subjectDer, issuerDer),
      tbsDer: new Uint8Array(AsnConvert.serialize(tbs)),
      signatureValue: new Uint8Array(certificate.signatureValue),
    };
  } catch (cause) {
    if (MalformedInputError.isInstance(cause)) throw cause;
    throw new MalformedInputError({ inputKind, message: 'certificate fields are malformed', cause });
  }
}

/** What storing an issued certificate needs, without decoding names and extensions. */
export type CertificateSummary = Pick<
  ParsedCertificate,
  'der' | 'pem' | 'serialNumber' | 'notBefore' | 'notAfter' | 'publicKey' | 'spki'
>;

/**
 * The serial, validity and public key of a certificate (PEM or DER) from one walk over its DER: the
 * same values as `parseCertificate` at a fraction of the cost. Names and extensions are not decoded
 * (nor checked). Anything unreadable is a MalformedInputError ('certificate').
 */
export function readCertificateSummary(input: CertificateInput): CertificateSummary {
  const inputKind = 'certificate';
  const der = derFromPemOrDer(input, ['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE'], inputKind);
  try {
    const [tbs, signatureAlgorithm, signatureValue, ...rest] = readDer(der).seq('Certificate');
    if (!tbs || !signatureAlgorithm || !signatureValue || rest.length > 0)
      throw new Error('Certificate: wrong field count');
    const fields = tbs.seq('tbsCertificate');
    const offset = fields[0]?.tag === 0xa0 ? 1 : 0;
    const [serial, , , validity, , spkiNode] = fields.slice(offset);
    if (!serial || !validity || !spkiNode) throw new Error('tbsCertificate: missing fields');
    readUnsignedIntegerBytes(serial, 'serialNumber');
    const [notBeforeNode, notAfterNode, ...extra] = validity.seq('validity');
    if (!notBeforeNode || !notAfterNode || extra.length > 0) throw new Error('validity: wrong field count');
    spkiNode.expect(TAG.sequence, 'subjectPublicKeyInfo');
    const spki = spkiNode.raw.slice();
    return {
      der,
      pem: derToPem(der, 'CERTIFICATE'),
      serialNumber: serialHexFromDerContent(serial.value),
      notBefore: readTime(notBeforeNode, 'notBefore'),
      notAfter: readTime(notAfterNode, 'notAfter'),
      publicKey: describePublicKey(spki),
      spki,
    };
  } catch (cause) {
    throw new MalformedInputError({ inputKind, message: 'bytes are not a DER X.509 certificate', cause });
  }
}

/** Every CERTIFICATE block of a PEM bundle, parsed, in order (other blocks are skipped). */
export function parseCertificateBundle(pem: string): ParsedCertificate[] {
  return splitPemBundle(pem)
    .filter((block) => block.label === 'CERTIFICATE')
    .map((block) => parseCertificate(block.der));
}
