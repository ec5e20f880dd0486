/**
 * CMS SignedData (RFC 5652 section 5): degenerate certs-only bundles (EST /cacerts, SCEP
 * GetCACert), signing with signed attributes (including caller-supplied ones such as SCEP's
 * messageType, transactionID and nonces), parsing and verification. BER input (indefinite lengths,
 * constructed OCTET STRINGs) is accepted, since SCEP clients send it.
 */
import { createHash } from 'node:crypto';
import {
  algorithmIdentifier,
  type Asn1Node,
  bytesEqual,
  ctx,
  integer,
  NULL_DER,
  octetString,
  oid,
  readDer,
  readOctetString,
  readOid,
  readSmallInt,
  readTime,
  seq,
  setOf,
  TAG,
  tlv,
  utf8String,
  x509Time,
} from './asn1-der.js';
import {
  type CertificateFields,
  type CertificateInput,
  parseCertificateFields,
  readCertificateFields,
} from './asn1-certificate-fields.js';
import {
  type DigestName,
  digestAlgorithmIdentifier,
  type PrivateKeyInput,
  RSA_ENCRYPTION_OID,
  readDigestAlgorithm,
  type SignatureHash,
  signBytes,
  signingAlgorithmFor,
  verifySignatureWithSpki,
} from './asn1-signing.js';
import {
  CMS_CONTENT_TYPES,
  type CmsIdentifier,
  type CmsInput,
  cmsMalformed,
  guardCms,
  identifierMatches,
  issuerAndSerialNumber,
  readCmsIdentifier,
  readContentInfo,
  wrapContentInfo,
} from './cms-content-info.js';

export { CMS_CONTENT_TYPES, type CmsInput };

/** A CMS attribute: its type and each AttributeValue as DER. */
export interface CmsAttribute {
  oid: string;
  values: Uint8Array[];
}

export const CMS_ATTRIBUTE_OIDS = {
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
} as const;

/** DER PrintableString (SCEP messageType, pkiStatus, failInfo, transactionID). */
export function printableStringValue(text: string): Uint8Array {
  if (!/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(text)) {
    throw cmsMalformed(`"${text.slice(0, 40)}" contains characters a PrintableString cannot hold`);
  }
  return tlv(TAG.printableString, Buffer.from(text, 'latin1'));
}

/** DER UTF8String (a SCEP transactionID a PrintableString cannot hold, echoed as the client sent it). */
export const utf8StringValue = utf8String;

/** DER OCTET STRING (SCEP senderNonce, recipientNonce). */
export function octetStringValue(bytes: Uint8Array): Uint8Array {
  return octetString(bytes);
}

/** Text of a PrintableString/UTF8String/IA5String attribute value; throws MalformedInputError otherwise. */
export function readStringValue(value: Uint8Array): string {
  return guardCms('attribute value', () => {
    const node = readDer(value);
    if (node.tag !== TAG.printableString && node.tag !== TAG.utf8String && node.tag !== TAG.ia5String) {
      throw new Error('not a string');
    }
    return Buffer.from(node.value).toString(node.tag === TAG.utf8String ? 'utf8' : 'latin1');
  });
}

/** Contents of an OCTET STRING attribute value; throws MalformedInputError otherwise. */
export function readOctetStringValue(value: Uint8Array): Uint8Array {
  return guardCms('attribute value', () => readOctetString(readDer(value)));
}

/** The first value of attribute `attributeOid`, if present. */
export function findCmsAttribute(attributes: readonly CmsAttribute[], attributeOid: string): Uint8Array | undefined {
  return attributes.find((a) => a.oid === attributeOid)?.values[0];
}

function encodeAttribute(attribute: CmsAttribute): Uint8Array {
  return seq(oid(attribute.oid), setOf(...attribute.values));
}

// ---------------------------------------------------------------------------------------------
// Certs-only
// ---------------------------------------------------------------------------------------------

/**
 * A degenerate certs-only SignedData ContentInfo (no signers, no content), as served by EST
 * `/cacerts` and SCEP GetCACert. Optional CRLs go in the crls field.
 */
export function buildCertsOnlySignedData(
  certificates: readonly CertificateInput[],
  crls: readonly Uint8Array[] = [],
): Uint8Array {
  const certs = certificates.map((c) => readCertificateFields(c).der);
  const parts = [integer(1), tlv(TAG.set), seq(oid(CMS_CONTENT_TYPES.data))];
  if (certs.length > 0) parts.push(ctx(0, certs));
  if (crls.length > 0) parts.push(ctx(1, [...crls]));
  parts.push(tlv(TAG.set));
  return wrapContentInfo(CMS_CONTENT_TYPES.signedData, seq(...parts));
}

// ---------------------------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------------------------

export interface CmsSignerInfo {
  identifier: CmsIdentifier;
  digestAlgorithm: DigestName;
  /** Signed attributes in the order they were encoded; empty when absent. */
  signedAttributes: CmsAttribute[];
  unsignedAttributes: CmsAttribute[];
  /** @internal What the signature covers when signed attributes are present (re-tagged SET). */
  signedAttributesDer: Uint8Array | undefined;
  signatureAlgorithm: Uint8Array;
  signature: Uint8Array;
}

export interface ParsedSignedData {
  version: number;
  /** eContentType. */
  contentType: string;
  /** Encapsulated content, or undefined for detached signatures and certs-only bundles. */
  content: Uint8Array | undefined;
  certificates: Uint8Array[];
  crls: Uint8Array[];
  signers: CmsSignerInfo[];
}

/** Parses a SignedData ContentInfo (DER, BER or PEM); throws MalformedInputError (`pkcs7`). */
export function parseSignedData(input: CmsInput): ParsedSignedData {
  const info = readContentInfo(input);
  if (info.contentType !== CMS_CONTENT_TYPES.signedData) {
    throw cmsMalformed(`expected SignedData, found content type ${info.contentType}`);
  }
  return guardCms('SignedData', () => parseSignedDataNode(info.content));
}

function parseSignedDataNode(node: Asn1Node): ParsedSignedData {
  const fields = node.seq('SignedData');
  let i = 0;
  const version = readSmallInt(fields[i++] ?? node, 'version');
  const digestAlgorithms = fields[i++];
  const encap = fields[i++];
  if (!digestAlgorithms || !encap) throw new Error('SignedData is truncated');
  digestAlgorithms.expect(TAG.set, 'digestAlgorithms');
  const [typeNode, contentNode] = encap.seq('EncapsulatedContentInfo');
  if (!typeNode) throw new Error('EncapsulatedContentInfo is empty');
  let content: Uint8Array | undefined;
  if (contentNode) {
    if (contentNode.tag !== 0xa0) throw new Error('eContent must be [0]');
    const [octets] = contentNode.children();
    if (!octets) throw new Error('eContent is empty');
    content = readOctetString(octets, 'eContent');
  }
  const certificates: Uint8Array[] = [];
  const crls: Uint8Array[] = [];
  if (fields[i]?.tag === 0xa0) {
    for (const cert of fields[i++]!.children()) {
      if (cert.tag === TAG.sequence) certificates.push(cert.raw); // other CertificateChoices are skipped
    }
  }
  if (fields[i]?.tag === 0xa1) {
    for (const crl of fields[i++]!.children()) if (crl.tag === TAG.sequence) crls.push(crl.raw);
  }
  const signerInfos = fields[i++];
  if (!signerInfos || i !== fields.length)
    throw new Error('SignedData signerInfos missing or followed by extra fields');
  const signers = signerInfos.seq('signerInfos', TAG.set).map(parseSignerInfo);
  return { version, contentType: readOid(typeNode), content, certificates, crls, signers };
}

function parseAttributes(node: Asn1Node): CmsAttribute[] {
  return node.children().map((attribute) => {
    const [typeNode, valuesNode] = attribute.seq('Attribute');
    if (!typeNode || !valuesNode) throw new Error('Attribute is truncated');
    return { oid: readOid(typeNode), values: valuesNode.seq('AttributeValues', TAG.set).map((v) => v.raw) };
  });
}

function parseSignerInfo(node: Asn1Node): CmsSignerInfo {
  const fields = node.seq('SignerInfo');
  let i = 1; // version
  const sid = fields[i++];
  const digestAlg = fields[i++];
  if (!sid || !digestAlg) throw new Error('SignerInfo is truncated');
  let signedAttributes: CmsAttribute[] = [];
  let signedAttributesDer: Uint8Array | undefined;
  if (fields[i]?.tag === 0xa0) {
    const attrs = fields[i++]!;
    signedAttributes = parseAttributes(attrs);
    // The signature covers the attributes with the SET tag; BER input is re-encoded member by member.
    signedAttributesDer = tlv(TAG.set, ...attrs.children().map((a) => a.raw));
  }
  const sigAlg = fields[i++];
  const signature = fields[i++];
  if (!sigAlg || !signature) throw new Error('SignerInfo is truncated');
  sigAlg.expect(TAG.sequence, 'signatureAlgorithm');
  let unsignedAttributes: CmsAttribute[] = [];
  if (fields[i]?.tag === 0xa1) unsignedAttributes = parseAttributes(fields[i++]!);
  if (i !== fields.length) throw new Error('unexpected fields at the end of SignerInfo');
  return {
    identifier: readCmsIdentifier(sid),
    digestAlgorithm: readDigestAlgorithm(digestAlg),
    signedAttributes,
    unsignedAttributes,
    signedAttributesDer,
    signatureAlgorithm: sigAlg.raw,
    signature: readOctetString(signature, 'signature'),
  };
}

/** Certificates of a certs-only (or any) SignedData, as DER; what `openssl pkcs7 -print_certs` shows. */
export function parseCertsOnlySignedData(input: CmsInput): Uint8Array[] {
  return parseSignedData(input).certificates;
}

// ---------------------------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------------------------

export interface SignSignedDataOptions {
  content: Uint8Array;
  /** eContentType; id-data by default (SCEP pkiMessage content is id-data holding an EnvelopedData). */
  contentType?: string;
  signerCertificate: CertificateInput;
  signingKey: PrivateKeyInput;
  /** Digest for the message digest and RSA/ECDSA signature; default sha256 (Ed25519 always uses sha512). */
  hash?: SignatureHash;
  /** Attributes signed besides contentType, messageDigest and signingTime. */
  signedAttributes?: readonly CmsAttribute[];
  /** signingTime attribute value; default now; false leaves it out. */
  signingTime?: Date | false;
  /** Further certificates to include after the signer's (chain). */
  certificates?: readonly CertificateInput[];
  /** Leave the content out of the structure (detached signature). */
  detached?: boolean;
}

const _SIGNATURE_OIDS: Record<'rsa' | 'ec', Record<SignatureHash, string>> = {
  rsa: { sha256: '1.2.840.113549.1.1.11', sha384: '1.2.840.113549.1.1.12', sha512: '1.2.840.113549.1.1.13' },
  ec: { sha256: '1.2.840.10045.4.3.2', sha384: '1.2.840.10045.4.3.3', sha512: '1.2.840.10045.4.3.4' },
};

/** Signs `content` into a SignedData ContentInfo (DER) with one signer identified by issuer and serial. */
export async function signSignedData(options: SignSignedDataOptions): Promise<Uint8Array> {
  const signer = readCertificateFields(options.signerCertificate);
  const contentType = options.contentType ?? CMS_CONTENT_TYPES.data;
  const base = signingAlgorithmFor(options.signingKey, options.hash ?? 'sha256');
  const isEd25519 = base.hash === null;
  const digest: DigestName = isEd25519 ? 'sha512' : (base.hash as DigestName);
  const algorithm = isEd25519 ? base : { ...base, hash: digest };
  // RSA signers are written as rsaEncryption, the form every PKCS#7/SCEP implementation accepts.
  const signatureAlgorithmId =
    base.key.asymmetricKeyType === 'rsa' ? algorithmIdentifier(RSA_ENCRYPTION_OID, NULL_DER) : base.algorithmIdentifier;

  const messageDigest = createHash(digest).update(options.content).digest();
  const attributes: CmsAttribute[] = [
    { oid: CMS_ATTRIBUTE_OIDS.contentType, values: [oid(contentType)] },
    { oid: CMS_ATTRIBUTE_OIDS.messageDigest, values: [octetString(messageDigest)] },
  ];
  if (options.signingTime !== false) {
    attributes.push({ oid: CMS_ATTRIBUTE_OIDS.signingTime, values: [x509Time(options.signingTime ?? new Date())] });
  }
  for (const attribute of options.signedAttributes ?? []) {
    if (Object.values(CMS_ATTRIBUTE_OIDS).includes(attribute.oid as never)) {
      throw cmsMalformed(`signed attribute ${attribute.oid} is set by signSignedData itself`);
    }
    attributes.push(attribute);
  }
  const signedAttrsSet = setOf(...attributes.map(encodeAttribute));
  const signature = signBytes(algorithm, signedAttrsSet);
  const signedAttrsImplicit = Uint8Array.from(signedAttrsSet);
  signedAttrsImplicit[0] = 0xa0;

  const signerInfo = seq(
    integer(1),
    issuerAndSerialNumber(signer),
    digestAlgorithmIdentifier(digest),
    signedAttrsImplicit,
    signatureAlgorithmId,
    octetString(signature),
  );
  const certificates = [signer.der, ...(options.certificates ?? []).map((c) => readCertificateFields(c).der)];
  const encap = options.detached
    ? seq(oid(contentType))
    : seq(oid(contentType), ctx(0, [octetString(options.content)]));
  const signedData = seq(
    integer(contentType === CMS_CONTENT_TYPES.data ? 1 : 3),
    setOf(digestAlgorithmIdentifier(digest)),
    encap,
    ctx(0, certificates),
    setOf(signerInfo),
  );
  return wrapContentInfo(CMS_CONTENT_TYPES.signedData, signedData);
}

// ---------------------------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------------------------

export interface VerifySignedDataOptions {
  /** Content of a detached signature. */
  detachedContent?: Uint8Array;
  /** Candidate signer certificates besides those in the structure (e.g. the SCEP client's known cert). */
  extraCertificates?: readonly CertificateInput[];
}

export interface VerifiedSignedData {
  contentType: string;
  content: Uint8Array;
  /** DER of the certificate whose key made the (first) signature. */
  signerCertificate: Uint8Array;
  signedAttributes: CmsAttribute[];
  signingTime: Date | undefined;
  /** Every certificate in the structure. */
  certificates: Uint8Array[];
  /** All signers, each verified. */
  signers: { signerCertificate: Uint8Array; signedAttributes: CmsAttribute[]; digestAlgorithm: DigestName }[];
}

const RSA_WITH: Record<DigestName, string> = {
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha384: '1.2.840.113549.1.1.12',
  sha512: '1.2.840.113549.1.1.13',
};
const ECDSA_WITH: Record<DigestName, string> = {
  sha1: '1.2.840.10045.4.1',
  sha256: '1.2.840.10045.4.3.2',
  sha384: '1.2.840.10045.4.3.3',
  sha512: '1.2.840.10045.4.3.4',
};
const EC_PUBLIC_KEY_OID = '1.2.840.10045.2.1';

/** CMS allows naming only the key type (rsaEncryption, ecPublicKey); combine it with the digest. */
function effectiveSignatureAlgorithm(signer: CmsSignerInfo): Asn1Node {
  const node = readDer(signer.signatureAlgorithm);
  const [oidNode] = node.seq('signatureAlgorithm');
  if (!oidNode) throw new Error('empty signatureAlgorithm');
  const algorithmOid = readOid(oidNode);
  if (algorithmOid === RSA_ENCRYPTION_OID)
    return readDer(algorithmIdentifier(RSA_WITH[signer.digestAlgorithm], NULL_DER));
  if (algorithmOid === EC_PUBLIC_KEY_OID) return readDer(algorithmIdentifier(ECDSA_WITH[signer.digestAlgorithm]));
  return node;
}

/**
 * Verifies every signer of a SignedData: signature, messageDigest and contentType attributes.
 * Returns the content, the signer certificate and the signed attributes. Throws MalformedInputError
 * (`pkcs7`) when anything does not verify. Certificate path validation is the caller's job.
 */
export async function verifySignedData(
  input: CmsInput,
  options: VerifySignedDataOptions = {},
): Promise<VerifiedSignedData> {
  const parsed = parseSignedData(input);
  if (parsed.signers.length === 0) throw cmsMalformed('SignedData has no signers');
  const content = parsed.content ?? options.detachedContent;
  if (!content) throw cmsMalformed('SignedData has no content and no detached content was given');
  if (parsed.content && options.detachedContent && !bytesEqual(parsed.content, options.detachedContent)) {
    throw cmsMalformed('detached content given for a SignedData that carries different content');
  }
  const candidates: CertificateFields[] = [];
  for (const der of parsed.certificates) {
    try {
      candidates.push(parseCertificateFields(der));
    } catch {
      // an unparsable extra certificate does not invalidate the signature
    }
  }
  for (const extra of options.extraCertificates ?? []) candidates.push(readCertificateFields(extra));

  const signers = parsed.signers.map((signer) => {
    const cert = candidates.find((c) => identifierMatches(signer.identifier, c));
    if (!cert) throw cmsMalformed('no certificate matches the signer identifier');
    return guardCms('SignerInfo', () => {
      let signedData = content;
      if (signer.signedAttributesDer) {
        const digest = findCmsAttribute(signer.signedAttributes, CMS_ATTRIBUTE_OIDS.messageDigest);
        const type = findCmsAttribute(signer.signedAttributes, CMS_ATTRIBUTE_OIDS.contentType);
        if (!digest || !type) throw cmsMalformed('signed attributes lack messageDigest or contentType');
        if (readOid(readDer(type)) !== parsed.contentType)
          throw cmsMalformed('contentType attribute does not match the content');
        const expected = createHash(signer.digestAlgorithm).update(content).digest();
        if (!bytesEqual(readOctetString(readDer(digest)), expected))
          throw cmsMalformed('messageDigest does not match the content');
        signedData = signer.signedAttributesDer;
      }
      if (!verifySignatureWithSpki(effectiveSignatureAlgorithm(signer), cert.spkiDer, signedData, signer.signature)) {
        throw cmsMalformed('SignedData signature does not verify');
      }
      return {
        signerCertificate: cert.der,
        signedAttributes: signer.signedAttributes,
        digestAlgorithm: signer.digestAlgorithm,
      };
    });
  });
  const first = signers[0]!;
  const signingTimeValue = findCmsAttribute(first.signedAttributes, CMS_ATTRIBUTE_OIDS.signingTime);
  const signingTime = signingTimeValue ? guardCms('signingTime', () => readTime(readDer(signingTimeValue))) : undefined;
  return {
    contentType: parsed.contentType,
    content,
    signerCertificate: first.signerCertificate,
    signedAttributes: first.signedAttributes,
    signingTime,
    certificates: parsed.certificates,
    signers,
  };
}
