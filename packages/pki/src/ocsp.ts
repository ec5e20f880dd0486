/**
 * OCSP (RFC 6960): request parsing (POST body and GET path), CertID matching, response building and
 * signing, error responses, response parsing and verification, and the delegated responder profile.
 *
 * Built on the package's DER reader/writer rather than pkijs: a responder answers many requests per
 * second, and precomputing everything that does not change between responses (responder ID, the
 * certs field, the algorithm identifier, issuer hashes) leaves one small TBS encoding and one
 * node:crypto signature per call.
 */
import { createHash, randomBytes } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import {
  algorithmIdentifier,
  type Asn1Node,
  bitString,
  bool,
  bytesEqual,
  ctx,
  enumerated,
  generalizedTime,
  integer,
  NULL_DER,
  octetString,
  oid,
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
  x509Time,
} from './asn1-der.js';
import {
  type CertificateFields,
  type CertificateInput,
  parseCertificateFields,
  readCertificateFields,
  serialHexToBytes,
} from './asn1-certificate-fields.js';
import {
  DIGEST_OIDS,
  type DigestName,
  digestNameForOid,
  type PrivateKeyInput,
  type SignatureHash,
  signBytes,
  signingAlgorithmFor,
  verifySignatureWithSpki,
} from './asn1-signing.js';
import { type CrlReason, crlReasonCode, crlReasonFromCode } from './crl.js';
import { x509 } from './crypto-provider.js';

export const OID_OCSP_BASIC = '1.3.6.1.5.5.7.48.1.1';
export const OID_OCSP_NONCE = '1.3.6.1.5.5.7.48.1.2';
export const OID_OCSP_NOCHECK = '1.3.6.1.5.5.7.48.1.5';
export const OID_EKU_OCSP_SIGNING = '1.3.6.1.5.5.7.3.9';
const OID_EKU = '2.5.29.37';
const OID_SKI = '2.5.29.14';
const OID_AKI = '2.5.29.35';

/** Longest nonce extension accepted from a client (RFC 8954 allows 32 bytes; some send a little more). */
const MAX_NONCE_EXTENSION_BYTES = 66;

export type OcspHashAlgorithm = DigestName;

export interface OcspCertId {
  hashAlgorithm: OcspHashAlgorithm;
  issuerNameHash: Uint8Array;
  issuerKeyHash: Uint8Array;
  /** Lowercase hex, leading zero bytes stripped. */
  serial: string;
  /** The CertID exactly as received; responses echo it byte for byte. */
  der: Uint8Array;
}

export interface OcspRequest {
  certIds: OcspCertId[];
  /**
   * The nonce extension's extnValue contents exactly as sent (for RFC 8954 clients, a DER OCTET
   * STRING). Pass it unchanged to the response builder: clients compare it byte for byte.
   */
  nonce: Uint8Array | undefined;
  /** Whether the request carried an optionalSignature (not verified here). */
  signed: boolean;
  der: Uint8Array;
}

function malformed(inputKind: string, message: string, cause?: unknown): MalformedInputError {
  return new MalformedInputError({ inputKind, message, cause });
}

function guard<T>(inputKind: string, what: string, parse: () => T): T {
  try {
    return parse();
  } catch (cause) {
    if (MalformedInputError.isInstance(cause)) throw cause;
    throw malformed(inputKind, `${what} could not be parsed: ${(cause as Error).message}`, cause);
  }
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/** Parses a DER OCSPRequest (an `application/ocsp-request` POST body). */
export function parseOcspRequest(der: Uint8Array): OcspRequest {
  return guard('ocsp-request', 'OCSP request', () => {
    const [tbsNode, signature, extra] = readDer(der).seq('OCSPRequest');
    if (!tbsNode || extra) throw new Error('OCSPRequest must hold tbsRequest and an optional signature');
    if (signature && signature.tag !== 0xa0) throw new Error('unexpected field after tbsRequest');
    const tbs = tbsNode.seq('TBSRequest');
    let i = 0;
    if (tbs[i]?.tag === 0xa0) {
      const [version] = tbs[i++]!.children();
      if (!version || readSmallInt(version, 'version') !== 0) throw new Error('unsupported OCSP request version');
    }
    if (tbs[i]?.tag === 0xa1) i++; // requestorName
    const list = tbs[i++];
    if (!list) throw new Error('requestList is missing');
    const certIds: OcspCertId[] = [];
    for (const request of list.seq('requestList')) {
      const [certIdNode, singleExtensions, more] = request.seq('Request');
      if (!certIdNode || more || (singleExtensions && singleExtensions.tag !== 0xa0))
        throw new Error('malformed Request');
      certIds.push(readCertId(certIdNode));
    }
    if (certIds.length === 0) throw new Error('requestList is empty');
    let nonce: Uint8Array | undefined;
    if (tbs[i]?.tag === 0xa2) {
      const [extensions] = tbs[i++]!.children();
      for (const ext of extensions?.seq('requestExtensions') ?? []) {
        const { extnOid, value } = readExtension(ext);
        if (extnOid === OID_OCSP_NONCE) {
          if (value.length === 0 || value.length > MAX_NONCE_EXTENSION_BYTES)
            throw new Error('nonce length out of range');
          nonce = value;
        }
      }
    }
    if (i !== tbs.length) throw new Error('unexpected fields at the end of TBSRequest');
    return { certIds, nonce, signed: signature !== undefined, der };
  });
}

/**
 * Decodes the GET form of a request (RFC 6960 A.1): the path after the responder's base URL, i.e.
 * the URL-encoded base64 of the DER request. Tolerates unencoded `/` and `+`, spaces that a proxy
 * made of `+`, and base64url.
 */
export function decodeOcspGetPath(path: string): Uint8Array {
  if (typeof path !== 'string' || path.length === 0 || path.length > 16_384) {
    throw malformed('ocsp-request', 'OCSP GET path is empty or too long');
  }
  let text: string;
  try {
    text = decodeURIComponent(path.replace(/^\/+/, ''));
  } catch (cause) {
    throw malformed('ocsp-request', 'OCSP GET path is not valid URL encoding', cause);
  }
  const base64 = text.replace(/ /g, '+').replace(/-/g, '+').replace(/_/g, '/').replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) throw malformed('ocsp-request', 'OCSP GET path is not base64');
  const der = new Uint8Array(Buffer.from(base64, 'base64'));
  if (der.length === 0) throw malformed('ocsp-request', 'OCSP GET path decodes to nothing');
  return der;
}

/** Parses the GET form of a request (see decodeOcspGetPath). */
export function parseOcspGetRequest(path: string): OcspRequest {
  return parseOcspRequest(decodeOcspGetPath(path));
}

/** The GET path segment for a DER request (URL-encoded base64), for clients and tests. */
export function encodeOcspGetPath(requestDer: Uint8Array): string {
  return encodeURIComponent(Buffer.from(requestDer).toString('base64'));
}

function readCertId(node: Asn1Node): OcspCertId {
  const [alg, nameHash, keyHash, serial, extra] = node.seq('CertID');
  if (!alg || !nameHash || !keyHash || !serial || extra) throw new Error('CertID must have four fields');
  const [algOid, params] = alg.seq('hashAlgorithm');
  if (!algOid || (params && params.tag !== TAG.null)) throw new Error('malformed CertID hashAlgorithm');
  const algorithmOid = readOid(algOid);
  const hashAlgorithm = digestNameForOid(algorithmOid);
  if (!hashAlgorithm) throw new Error(`unsupported CertID hash algorithm ${algorithmOid}`);
  return {
    hashAlgorithm,
    issuerNameHash: readOctetString(nameHash, 'issuerNameHash'),
    issuerKeyHash: readOctetString(keyHash, 'issuerKeyHash'),
    serial: toHex(readUnsignedIntegerBytes(serial, 'serialNumber')),
    der: node.raw,
  };
}

function readExtension(ext: Asn1Node): { extnOid: string; value: Uint8Array } {
  const parts = ext.seq('Extension');
  const oidNode = parts[0];
  const valueNode = parts[parts.length - 1];
  if (!oidNode || !valueNode || parts.length < 2 || parts.length > 3) throw new Error('malformed Extension');
  return { extnOid: readOid(oidNode), value: readOctetString(valueNode, 'extnValue') };
}

/** issuerNameHash and issuerKeyHash of `issuer` for CertIDs using `hash`. */
export function ocspIssuerHashes(
  issuerCertificate: CertificateInput | CertificateFields,
  hash: OcspHashAlgorithm = 'sha1',
): { issuerNameHash: Uint8Array; issuerKeyHash: Uint8Array } {
  const issuer = readCertificateFields(issuerCertificate);
  return {
    issuerNameHash: new Uint8Array(createHash(hash).update(issuer.subjectDer).digest()),
    issuerKeyHash: new Uint8Array(createHash(hash).update(issuer.subjectPublicKey).digest()),
  };
}

export interface OcspIssuerMatcher {
  /** Whether the CertID names this issuer (any supported hash algorithm). */
  matches(certId: OcspCertId): boolean;
  /** A CertID for `serial` under this issuer, from the precomputed hashes (what a responder signs per answer). */
  certId(serial: string, hashAlgorithm?: OcspHashAlgorithm): OcspCertId;
  issuer: CertificateFields;
}

/** Precomputes the issuer's hashes for every algorithm so matching a CertID is two comparisons. */
export function createOcspIssuerMatcher(issuerCertificate: CertificateInput): OcspIssuerMatcher {
  const issuer = readCertificateFields(issuerCertificate);
  const hashes = new Map(
    (Object.keys(DIGEST_OIDS) as OcspHashAlgorithm[]).map((h) => [h, ocspIssuerHashes(issuer, h)] as const),
  );
  return {
    issuer,
    certId(serial, hashAlgorithm = 'sha1') {
      const known = hashes.get(hashAlgorithm);
      if (!known) throw new Error(`unsupported CertID hash algorithm ${hashAlgorithm}`);
      return certIdFromHashes(known, serial, hashAlgorithm);
    },
    matches(certId) {
      const expected = hashes.get(certId.hashAlgorithm);
      return (
        expected !== undefined &&
        bytesEqual(expected.issuerNameHash, certId.issuerNameHash) &&
        bytesEqual(expected.issuerKeyHash, certId.issuerKeyHash)
      );
    },
  };
}

/** Whether `certId` names `issuerCertificate` (SHA-1, SHA-256, SHA-384 or SHA-512 CertIDs). */
export function ocspCertIdMatchesIssuer(certId: OcspCertId, issuerCertificate: CertificateInput): boolean {
  const expected = ocspIssuerHashes(issuerCertificate, certId.hashAlgorithm);
  return (
    bytesEqual(expected.issuerNameHash, certId.issuerNameHash) &&
    bytesEqual(expected.issuerKeyHash, certId.issuerKeyHash)
  );
}

/** A CertID for a certificate serial under `issuerCertificate`. */
export function buildOcspCertId(options: {
  issuerCertificate: CertificateInput;
  serial: string;
  hashAlgorithm?: OcspHashAlgorithm;
}): OcspCertId {
  const hashAlgorithm = options.hashAlgorithm ?? 'sha1';
  return certIdFromHashes(ocspIssuerHashes(options.issuerCertificate, hashAlgorithm), options.serial, hashAlgorithm);
}

function certIdFromHashes(
  { issuerNameHash, issuerKeyHash }: { issuerNameHash: Uint8Array; issuerKeyHash: Uint8Array },
  serial: string,
  hashAlgorithm: OcspHashAlgorithm,
): OcspCertId {
  const serialBytes = serialHexToBytes(serial);
  const der = seq(
    algorithmIdentifier(DIGEST_OIDS[hashAlgorithm], NULL_DER),
    octetString(issuerNameHash),
    octetString(issuerKeyHash),
    integer(serialBytes),
  );
  return { hashAlgorithm, issuerNameHash, issuerKeyHash, serial: toHex(serialBytes), der };
}

/** An unsigned OCSPRequest (for clients and tests); `nonce: true` makes a random 16-byte nonce. */
export function buildOcspRequest(options: { certIds: OcspCertId[]; nonce?: Uint8Array | true }): Uint8Array {
  const requests = options.certIds.map((id) => seq(id.der));
  const tbs: Uint8Array[] = [seq(...requests)];
  if (options.nonce) {
    const nonce = options.nonce === true ? randomBytes(16) : options.nonce;
    tbs.push(ctx(2, [seq(seq(oid(OID_OCSP_NONCE), octetString(octetString(nonce))))]));
  }
  return seq(seq(...tbs));
}

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

export type OcspCertStatus =
  | { status: 'good' }
  | { status: 'revoked'; revokedAt: Date; reason?: CrlReason }
  | { status: 'unknown' };

export interface OcspSingleResponseInput {
  /** The CertID from the request (echoed byte for byte), or its DER. */
  certId: OcspCertId | Uint8Array;
  certStatus: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate?: Date;
}

export interface OcspResponseInput {
  responses: readonly OcspSingleResponseInput[];
  /** The request's `nonce`, echoed verbatim. */
  nonce?: Uint8Array;
  /** Defaults to now. */
  producedAt?: Date;
}

export interface OcspResponderOptions {
  /** The CA itself or a delegated responder certificate issued by it (see buildOcspResponderCertificate). */
  responderCertificate: CertificateInput;
  signingKey: PrivateKeyInput;
  signatureHash?: SignatureHash;
  /** Put the responder certificate in the response (default true; needed for delegated responders). */
  includeResponderCertificate?: boolean;
  /** Further certificates for the certs field. */
  extraCertificates?: readonly CertificateInput[];
}

export interface OcspResponseSigner {
  /** Builds and signs a successful response; returns the OCSPResponse DER. */
  sign(input: OcspResponseInput): Promise<Uint8Array>;
  signSync(input: OcspResponseInput): Uint8Array;
}

const GOOD_DER = Uint8Array.of(0x80, 0x00);
const UNKNOWN_DER = Uint8Array.of(0x82, 0x00);
const SUCCESSFUL_DER = enumerated(0);
const BASIC_OID_DER = oid(OID_OCSP_BASIC);
const NONCE_OID_DER = oid(OID_OCSP_NONCE);

function certStatusDer(status: OcspCertStatus): Uint8Array {
  switch (status.status) {
    case 'good':
      return GOOD_DER;
    case 'unknown':
      return UNKNOWN_DER;
    case 'revoked': {
      const parts = [generalizedTime(status.revokedAt)];
      if (status.reason !== undefined) parts.push(ctx(0, [enumerated(crlReasonCode(status.reason))]));
      return ctx(1, parts);
    }
    default:
      throw malformed(
        'ocsp-response',
        `unknown certificate status ${JSON.stringify((status as { status: unknown }).status)}`,
      );
  }
}

function singleResponseDer(single: OcspSingleResponseInput): Uint8Array {
  const certIdDer = single.certId instanceof Uint8Array ? single.certId : single.certId.der;
  const parts = [certIdDer, certStatusDer(single.certStatus), generalizedTime(single.thisUpdate)];
  if (single.nextUpdate) parts.push(ctx(0, [generalizedTime(single.nextUpdate)]));
  return seq(...parts);
}

/**
 * A signer that precomputes what is constant across responses (responderID by key hash, the certs
 * field, the signature algorithm), so each response costs one small encoding and one signature.
 */
export function createOcspResponseSigner(options: OcspResponderOptions): OcspResponseSigner {
  const responder = readCertificateFields(options.responderCertificate);
  const algorithm = signingAlgorithmFor(options.signingKey, options.signatureHash);
  const keyHash = createHash('sha1').update(responder.subjectPublicKey).digest();
  const responderId = ctx(2, [octetString(keyHash)]);
  const certificates = [
    ...(options.includeResponderCertificate === false ? [] : [responder.der]),
    ...(options.extraCertificates ?? []).map((c) => readCertificateFields(c).der),
  ];
  const certsField = certificates.length > 0 ? ctx(0, [seq(...certificates)]) : undefined;

  const signSync = (input: OcspResponseInput): Uint8Array => {
    if (input.responses.length === 0)
      throw malformed('ocsp-response', 'an OCSP response needs at least one single response');
    const tbsParts = [
      responderId,
      generalizedTime(input.producedAt ?? new Date()),
      seq(...input.responses.map(singleResponseDer)),
    ];
    if (input.nonce) tbsParts.push(ctx(1, [seq(seq(NONCE_OID_DER, octetString(input.nonce)))]));
    const tbs = seq(...tbsParts);
    const signature = signBytes(algorithm, tbs);
    const basic = certsField
      ? seq(tbs, algorithm.algorithmIdentifier, bitString(signature), certsField)
      : seq(tbs, algorithm.algorithmIdentifier, bitString(signature));
    return seq(SUCCESSFUL_DER, ctx(0, [seq(BASIC_OID_DER, octetString(basic))]));
  };
  return { signSync, sign: async (input) => signSync(input) };
}

/** One-shot form of createOcspResponseSigner(options).sign(input). */
export async function buildOcspResponse(options: OcspResponderOptions & OcspResponseInput): Promise<Uint8Array> {
  return createOcspResponseSigner(options).sign(options);
}

export type OcspResponseStatus =
  | 'successful'
  | 'malformedRequest'
  | 'internalError'
  | 'tryLater'
  | 'sigRequired'
  | 'unauthorized';

const RESPONSE_STATUS_CODES: Record<OcspResponseStatus, number> = {
  successful: 0,
  malformedRequest: 1,
  internalError: 2,
  tryLater: 3,
  sigRequired: 5,
  unauthorized: 6,
};
const RESPONSE_STATUS_BY_CODE = new Map(
  Object.entries(RESPONSE_STATUS_CODES).map(([k, v]) => [v, k as OcspResponseStatus]),
);

/** An unsigned error response (`30 03 0a 01 xx`); the same bytes every time, so they are shared. */
export function buildOcspErrorResponse(status: Exclude<OcspResponseStatus, 'successful'>): Uint8Array {
  const code = RESPONSE_STATUS_CODES[status];
  if (code === undefined || code === 0)
    throw malformed('ocsp-response', `"${String(status)}" is not an OCSP error status`);
  return seq(enumerated(code));
}

// ---------------------------------------------------------------------------------------------
// Response parsing and verification
// ---------------------------------------------------------------------------------------------

export interface ParsedOcspSingleResponse {
  certId: OcspCertId;
  certStatus: OcspCertStatus;
  thisUpdate: Date;
  nextUpdate: Date | undefined;
}

export interface ParsedBasicOcspResponse {
  responderId: { byKey: Uint8Array } | { byName: Uint8Array };
  producedAt: Date;
  responses: ParsedOcspSingleResponse[];
  /** extnValue contents of the nonce extension, as in OcspRequest.nonce. */
  nonce: Uint8Array | undefined;
  /** DER certificates from the certs field. */
  certificates: Uint8Array[];
  signatureAlgorithm: Uint8Array;
  tbsResponseData: Uint8Array;
  signature: Uint8Array;
}

export interface ParsedOcspResponse {
  status: OcspResponseStatus;
  /** Present when status is successful. */
  basic: ParsedBasicOcspResponse | undefined;
}

/** Parses an OCSPResponse; throws MalformedInputError (`ocsp-response`). */
export function parseOcspResponse(der: Uint8Array): ParsedOcspResponse {
  return guard('ocsp-response', 'OCSP response', () => {
    const [statusNode, bytesNode, extra] = readDer(der).seq('OCSPResponse');
    if (!statusNode || extra) throw new Error('malformed OCSPResponse');
    const status = RESPONSE_STATUS_BY_CODE.get(readSmallInt(statusNode, 'responseStatus', TAG.enumerated));
    if (!status) throw new Error('unknown responseStatus');
    if (status !== 'successful') {
      if (bytesNode) throw new Error('an error response carries responseBytes');
      return { status, basic: undefined };
    }
    if (bytesNode?.tag !== 0xa0) throw new Error('successful response without responseBytes');
    const [responseBytes] = bytesNode.children();
    const [typeNode, responseNode] = responseBytes?.seq('ResponseBytes') ?? [];
    if (!typeNode || !responseNode) throw new Error('malformed ResponseBytes');
    if (readOid(typeNode) !== OID_OCSP_BASIC) throw new Error('only id-pkix-ocsp-basic responses are supported');
    return { status, basic: parseBasic(readOctetString(responseNode, 'response')) };
  });
}

function parseBasic(der: Uint8Array): ParsedBasicOcspResponse {
  const [tbsNode, sigAlg, sigValue, certsNode] = readDer(der).seq('BasicOCSPResponse');
  if (!tbsNode || !sigAlg || !sigValue) throw new Error('BasicOCSPResponse is truncated');
  sigAlg.expect(TAG.sequence, 'signatureAlgorithm');
  const tbs = tbsNode.seq('ResponseData');
  let i = 0;
  if (tbs[i]?.tag === 0xa0) i++;
  const idNode = tbs[i++];
  const producedNode = tbs[i++];
  const listNode = tbs[i++];
  if (!idNode || !producedNode || !listNode) throw new Error('ResponseData is truncated');
  const [idValue] = idNode.children();
  if (!idValue) throw new Error('empty ResponderID');
  let responderId: ParsedBasicOcspResponse['responderId'];
  if (idNode.tag === 0xa2) responderId = { byKey: readOctetString(idValue, 'KeyHash') };
  else if (idNode.tag === 0xa1) responderId = { byName: idValue.expect(TAG.sequence, 'Name').raw };
  else throw new Error('unknown ResponderID');
  const responses = listNode.seq('responses').map(parseSingle);
  let nonce: Uint8Array | undefined;
  if (tbs[i]?.tag === 0xa1) {
    const [extensions] = tbs[i++]!.children();
    for (const ext of extensions?.seq('responseExtensions') ?? []) {
      const { extnOid, value } = readExtension(ext);
      if (extnOid === OID_OCSP_NONCE) nonce = value;
    }
  }
  if (i !== tbs.length) throw new Error('unexpected fields at the end of ResponseData');
  const certificates: Uint8Array[] = [];
  if (certsNode) {
    if (certsNode.tag !== 0xa0) throw new Error('unexpected field after signature');
    const [list] = certsNode.children();
    for (const cert of list?.seq('certs') ?? []) certificates.push(cert.expect(TAG.sequence, 'Certificate').raw);
  }
  return {
    responderId,
    producedAt: readTime(producedNode, 'producedAt'),
    responses,
    nonce,
    certificates,
    signatureAlgorithm: sigAlg.raw,
    tbsResponseData: tbsNode.raw,
    signature: readBitStringBytes(sigValue, 'signature'),
  };
}

function parseSingle(node: Asn1Node): ParsedOcspSingleResponse {
  const parts = node.seq('SingleResponse');
  const [certIdNode, statusNode, thisUpdateNode] = parts;
  if (!certIdNode || !statusNode || !thisUpdateNode) throw new Error('SingleResponse is truncated');
  let certStatus: OcspCertStatus;
  if (statusNode.tag === 0x80) certStatus = { status: 'good' };
  else if (statusNode.tag === 0x82) certStatus = { status: 'unknown' };
  else if (statusNode.tag === 0xa1) {
    const [timeNode, reasonNode] = statusNode.children();
    if (!timeNode) throw new Error('RevokedInfo is empty');
    let reason: CrlReason | undefined;
    if (reasonNode) {
      const [code] = reasonNode.children();
      if (!code) throw new Error('empty revocationReason');
      reason = crlReasonFromCode(readSmallInt(code, 'revocationReason', TAG.enumerated));
      if (!reason) throw new Error('unknown revocation reason');
    }
    certStatus = { status: 'revoked', revokedAt: readTime(timeNode, 'revocationTime'), ...(reason ? { reason } : {}) };
  } else throw new Error('unknown CertStatus');
  let nextUpdate: Date | undefined;
  for (const field of parts.slice(3)) {
    if (field.tag === 0xa0) {
      const [time] = field.children();
      if (!time) throw new Error('empty nextUpdate');
      nextUpdate = readTime(time, 'nextUpdate');
    }
  }
  return { certId: readCertId(certIdNode), certStatus, thisUpdate: readTime(thisUpdateNode, 'thisUpdate'), nextUpdate };
}

export interface OcspResponseVerification {
  valid: boolean;
  /** DER of the certificate whose key signed the response (the issuer or a delegated responder). */
  signerCertificate: Uint8Array | undefined;
  /** Why verification failed, for logs. */
  reason?: string;
}

/**
 * Verifies a successful response's signature: by the issuer itself, or by a certificate from the
 * certs field that the issuer signed and that carries the OCSPSigning EKU (RFC 6960 4.2.2.2).
 */
export function verifyOcspResponse(
  response: ParsedOcspResponse | Uint8Array,
  options: { issuerCertificate: CertificateInput },
): OcspResponseVerification {
  const parsed = response instanceof Uint8Array ? parseOcspResponse(response) : response;
  const basic = parsed.basic;
  if (!basic) return { valid: false, signerCertificate: undefined, reason: `response status is ${parsed.status}` };
  const issuer = readCertificateFields(options.issuerCertificate);
  return guard('ocsp-response', 'OCSP response', () => {
    const sigAlg = readDer(basic.signatureAlgorithm);
    const candidates: CertificateFields[] = [issuer, ...basic.certificates.map(parseCertificateFields)];
    const signer = candidates.find((c) => responderIdMatches(basic.responderId, c));
    if (!signer)
      return { valid: false, signerCertificate: undefined, reason: 'no certificate matches the responder ID' };
    if (signer !== issuer) {
      if (!bytesEqual(signer.issuerDer, issuer.subjectDer) || !certificateSignedBy(signer, issuer)) {
        return {
          valid: false,
          signerCertificate: signer.der,
          reason: 'responder certificate is not issued by the issuer',
        };
      }
      if (!hasOcspSigningEku(signer)) {
        return {
          valid: false,
          signerCertificate: signer.der,
          reason: 'responder certificate lacks the OCSPSigning EKU',
        };
      }
    }
    const valid = verifySignatureWithSpki(sigAlg, signer.spkiDer, basic.tbsResponseData, basic.signature);
    return valid
      ? { valid, signerCertificate: signer.der }
      : { valid, signerCertificate: signer.der, reason: 'signature does not verify' };
  });
}

function responderIdMatches(id: ParsedBasicOcspResponse['responderId'], cert: CertificateFields): boolean {
  if ('byKey' in id) return bytesEqual(id.byKey, createHash('sha1').update(cert.subjectPublicKey).digest());
  return bytesEqual(id.byName, cert.subjectDer);
}

function certificateSignedBy(cert: CertificateFields, issuer: CertificateFields): boolean {
  const [, sigAlg, sigValue] = readDer(cert.der).children();
  if (!sigAlg || !sigValue) return false;
  return verifySignatureWithSpki(sigAlg, issuer.spkiDer, cert.tbs, readBitStringBytes(sigValue));
}

function hasOcspSigningEku(cert: CertificateFields): boolean {
  const tbs = readDer(cert.tbs).children();
  const extensionsNode = tbs.find((n) => n.tag === 0xa3);
  const [extensions] = extensionsNode?.children() ?? [];
  for (const ext of extensions?.children() ?? []) {
    const { extnOid, value } = readExtension(ext);
    if (extnOid === OID_EKU)
      return readDer(value)
        .children()
        .some((n) => readOid(n) === OID_EKU_OCSP_SIGNING);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Delegated responder certificates
// ---------------------------------------------------------------------------------------------

/**
 * The extensions of a delegated OCSP responder certificate, for a generic certificate builder:
 * CA:FALSE, digitalSignature, EKU OCSPSigning and id-pkix-ocsp-nocheck (clients skip revocation
 * checks of the responder itself, so keep its lifetime short).
 */
export function ocspResponderCertificateExtensions(): x509.Extension[] {
  return [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([OID_EKU_OCSP_SIGNING], false),
    new x509.Extension(OID_OCSP_NOCHECK, false, NULL_DER.slice().buffer),
  ];
}

export interface BuildOcspResponderCertificateOptions {
  issuerCertificate: CertificateInput;
  issuerKey: PrivateKeyInput;
  /** The responder's public key as SubjectPublicKeyInfo DER. */
  responderPublicKeySpki: Uint8Array;
  /** RFC 4514 DN, e.g. `CN=certctl OCSP responder`. */
  subject: string;
  notBefore: Date;
  notAfter: Date;
  /** Hex serial; a random 16-byte one by default. */
  serial?: string;
  signatureHash?: SignatureHash;
}

/** Issues a delegated OCSP responder certificate (profile of ocspResponderCertificateExtensions) as DER. */
export function buildOcspResponderCertificate(options: BuildOcspResponderCertificateOptions): Uint8Array {
  const issuer = readCertificateFields(options.issuerCertificate);
  const algorithm = signingAlgorithmFor(options.issuerKey, options.signatureHash);
  const spki = guard('public-key', 'responder public key', () => {
    const [, keyBits] = readDer(options.responderPublicKeySpki).seq('SubjectPublicKeyInfo');
    if (!keyBits) throw new Error('SubjectPublicKeyInfo is truncated');
    return { der: options.responderPublicKeySpki, key: readBitStringBytes(keyBits) };
  });
  let subjectDer: Uint8Array;
  try {
    subjectDer = new Uint8Array(new x509.Name(options.subject).toArrayBuffer());
  } catch (cause) {
    throw malformed('distinguished-name', `"${options.subject}" is not a valid distinguished name`, cause);
  }
  const serial = options.serial ? serialHexToBytes(options.serial) : positiveRandomSerial();
  const ext = (extnOid: string, value: Uint8Array, critical = false) =>
    critical ? seq(oid(extnOid), bool(true), octetString(value)) : seq(oid(extnOid), octetString(value));
  const issuerKeyId = issuer.subjectKeyIdentifier ?? createHash('sha1').update(issuer.subjectPublicKey).digest();
  const extensions = seq(
    ext('2.5.29.19', seq(), true),
    ext('2.5.29.15', Uint8Array.of(0x03, 0x02, 0x07, 0x80), true),
    ext(OID_EKU, seq(oid(OID_EKU_OCSP_SIGNING))),
    ext(OID_OCSP_NOCHECK, NULL_DER),
    ext(OID_SKI, octetString(createHash('sha1').update(spki.key).digest())),
    ext(OID_AKI, seq(ctx(0, [issuerKeyId], true))),
  );
  const tbs = seq(
    ctx(0, [integer(2)]),
    integer(serial),
    algorithm.algorithmIdentifier,
    issuer.subjectDer,
    seq(x509Time(options.notBefore), x509Time(options.notAfter)),
    subjectDer,
    spki.der,
    ctx(3, [extensions]),
  );
  return seq(tbs, algorithm.algorithmIdentifier, bitString(signBytes(algorithm, tbs)));
}

function positiveRandomSerial(): Uint8Array {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return new Uint8Array(bytes);
}
