/**
 * PKCS#10 certificate signing requests: create, parse (every field typed), verify the signature.
 * Parsing walks the ASN.1 model directly rather than @peculiar/x509's typed extension classes, which
 * throw on GeneralName forms they do not model (otherName, x400Address ...) found in real CSRs.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Extensions } from '@peculiar/asn1-x509';
import { Asn1DecodeError, readBitStringBytes, readDer, readOid, TAG } from './asn1-der.js';
import { bufferSource } from './buffer-source.js';
import {
  decodeExtensions,
  encodeExtensions,
  type ExtensionOptions,
  type ParsedExtensions,
} from './certificate-extensions.js';
import { x509 } from './crypto-provider.js';
import { describeName, type NameInput, toX509Name } from './distinguished-name.js';
import { describePublicKey, type PublicKeyDescription } from './keys.js';
import { derFromPemOrDer, derToPem } from './pem.js';
import { signatureAlgorithmName } from './signature-algorithm-names.js';
import { webCryptoSigningAlgorithm } from './signature-algorithm.js';

const EXTENSION_REQUEST_OID = '1.2.840.113549.1.9.14';
const CHALLENGE_PASSWORD_OID = '1.2.840.113549.1.9.7';
const CSR_LABELS = ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'];

export interface CreateCsrOptions
  extends Pick<
    ExtensionOptions,
    'sans' | 'keyUsage' | 'extKeyUsage' | 'mustStaple' | 'basicConstraints' | 'extensions'
  > {
  keys: CryptoKeyPair;
  /** Default: an empty subject (then the SAN extension is marked critical, RFC 5280 4.2.1.6). */
  subject?: NameInput;
  /** PKCS#9 challengePassword attribute (SCEP, some EST setups). */
  challengePassword?: string;
}

export interface Csr {
  der: Uint8Array;
  pem: string;
}

/** Creates and signs a CSR with the key pair (ECDSA, RSA or Ed25519). */
export async function createCsr(options: CreateCsrOptions): Promise<Csr> {
  const name = toX509Name(options.subject ?? []);
  const extensions = encodeExtensions({
    sans: options.sans,
    sansCritical: name.toJSON().length === 0,
    keyUsage: options.keyUsage,
    extKeyUsage: options.extKeyUsage,
    mustStaple: options.mustStaple,
    basicConstraints: options.basicConstraints,
    extensions: options.extensions,
  });
  const attributes =
    options.challengePassword === undefined ? [] : [new x509.ChallengePasswordAttribute(options.challengePassword)];
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys: options.keys,
    signingAlgorithm: webCryptoSigningAlgorithm(options.keys.privateKey),
    extensions: extensions.map((e) => new x509.Extension(e.oid, e.critical ?? false, bufferSource(e.value))),
    attributes,
  });
  const der = new Uint8Array(csr.rawData);
  return { der, pem: derToPem(der, 'CERTIFICATE REQUEST') };
}

export interface ParsedCsr extends ParsedExtensions {
  der: Uint8Array;
  pem: string;
  subject: string;
  commonName: string | undefined;
  subjectEmailAddresses: string[];
  subjectDer: Uint8Array;
  publicKey: PublicKeyDescription;
  spki: Uint8Array;
  signatureAlgorithm: string;
  challengePassword: string | undefined;
  /** OIDs of attributes other than extensionRequest and challengePassword. */
  otherAttributes: string[];
}

/** Reads a DER string value (UTF8String, PrintableString, IA5String, T61String, BMPString). */
function decodeDirectoryString(der: Uint8Array): string {
  const tag = der[0];
  let length = der[1] ?? 0;
  let offset = 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets < 1 || octets > 3) throw new Error('unsupported length');
    length = 0;
    for (let i = 0; i < octets; i++) length = (length << 8) | (der[2 + i] ?? 0);
    offset += octets;
  }
  if (offset + length !== der.length) throw new Error('string length mismatch');
  const content = der.subarray(offset, offset + length);
  if (tag === 0x1e) return Buffer.from(content).swap16().toString('utf16le');
  if (tag === 0x0c || tag === 0x13 || tag === 0x16 || tag === 0x14) return Buffer.from(content).toString('utf8');
  throw new Error(`unexpected string tag ${tag}`);
}

/** Parses a CSR (PEM or DER). Does not check the signature: call `verifyCsrSignature`. */
export function parseCsr(input: string | Uint8Array | ArrayBuffer): ParsedCsr {
  const inputKind = 'csr';
  const der = derFromPemOrDer(input, CSR_LABELS, inputKind);
  let request: CertificationRequest;
  try {
    request = AsnConvert.parse(der, CertificationRequest);
  } catch (cause) {
    throw new MalformedInputError({ inputKind, message: 'bytes are not a DER PKCS#10 certification request', cause });
  }
  try {
    const info = request.certificationRequestInfo;
    const subjectDer = new Uint8Array(AsnConvert.serialize(info.subject));
    const spki = new Uint8Array(AsnConvert.serialize(info.subjectPKInfo));
    const subject = describeName(subjectDer);
    let rawExtensions: { oid: string; critical: boolean; value: Uint8Array }[] = [];
    let challengePassword: string | undefined;
    const otherAttributes: string[] = [];
    for (const attribute of info.attributes ?? []) {
      if (attribute.type === EXTENSION_REQUEST_OID) {
        if (attribute.values.length !== 1) throw new Error('extensionRequest must have exactly one value');
        rawExtensions = Array.from(AsnConvert.parse(attribute.values[0]!, Extensions)).map((e) => ({
          oid: e.extnID,
          critical: e.critical,
          value: new Uint8Array(e.extnValue.buffer),
        }));
      } else if (attribute.type === CHALLENGE_PASSWORD_OID) {
        if (attribute.values.length !== 1) throw new Error('challengePassword must have exactly one value');
        challengePassword = decodeDirectoryString(new Uint8Array(attribute.values[0]!));
      } else {
        otherAttributes.push(attribute.type);
      }
    }
    const parsed: ParsedCsr = {
      ...decodeExtensions(rawExtensions, inputKind),
      der,
      pem: derToPem(der, 'CERTIFICATE REQUEST'),
      subject: subject.text,
      commonName: subject.commonName,
      subjectEmailAddresses: subject.emailAddresses,
      subjectDer,
      publicKey: describePublicKey(spki),
      spki,
      signatureAlgorithm: signatureAlgorithmName(request.signatureAlgorithm.algorithm),
      challengePassword,
      otherAttributes,
    };
    parsedDers.add(der);
    return parsed;
  } catch (cause) {
    if (MalformedInputError.isInstance(cause)) throw cause;
    throw new MalformedInputError({ inputKind, message: 'CSR fields are malformed', cause });
  }
}

/**
 * DER arrays `parseCsr` has accepted: `verifyCsrSignature(parsed.der)` (the usual call after
 * `parseCsr`) then skips the second full parse, which costs more than the signature check itself.
 */
const parsedDers = new WeakSet<Uint8Array>();

/** Signature OID -> node:crypto digest and the key type it must be used with (the fast path). */
const FAST_SIGNATURE_ALGORITHMS: Record<string, { digest: string | null; keyType: string }> = {
  '1.2.840.10045.4.3.2': { digest: 'sha256', keyType: 'ec' },
  '1.2.840.10045.4.3.3': { digest: 'sha384', keyType: 'ec' },
  '1.2.840.10045.4.3.4': { digest: 'sha512', keyType: 'ec' },
  '1.2.840.113549.1.1.11': { digest: 'sha256', keyType: 'rsa' },
  '1.2.840.113549.1.1.12': { digest: 'sha384', keyType: 'rsa' },
  '1.2.840.113549.1.1.13': { digest: 'sha512', keyType: 'rsa' },
  '1.3.101.112': { digest: null, keyType: 'ed25519' },
};

/** One walk over CertificationRequest: the signed bytes, the signature algorithm, the signature and the key. */
function readCsrSignatureParts(der: Uint8Array): {
  tbs: Uint8Array;
  algorithmOid: string;
  hasParameters: boolean;
  signature: Uint8Array;
  spki: Uint8Array;
} {
  const [info, algorithm, signature, ...rest] = readDer(der).seq('CertificationRequest');
  if (!info || !algorithm || !signature || rest.length > 0)
    throw new Asn1DecodeError('CertificationRequest: wrong field count');
  const infoFields = info.seq('certificationRequestInfo');
  const spki = infoFields[2];
  if (!spki) throw new Asn1DecodeError('certificationRequestInfo: missing subjectPKInfo');
  spki.expect(TAG.sequence, 'subjectPKInfo');
  const [algorithmOid, parameters] = algorithm.seq('signatureAlgorithm');
  if (!algorithmOid) throw new Asn1DecodeError('signatureAlgorithm: missing OID');
  if (signature.value[0] !== 0) throw new Asn1DecodeError('signature: unused bits');
  return {
    tbs: info.raw,
    algorithmOid: readOid(algorithmOid),
    hasParameters: parameters !== undefined && parameters.tag !== TAG.null,
    signature: readBitStringBytes(signature, 'signature'),
    spki: spki.raw,
  };
}

/**
 * Whether the CSR is signed by the key it carries (proof of possession). Malformed input throws
 * MalformedInputError; a well-formed CSR with a bad or unsupported signature resolves to false.
 * The CSR is first walked strictly (exact field count, a signature BIT STRING with no unused bits):
 * what that walk refuses resolves to false, whatever the algorithm. ECDSA (SHA-256/384/512), RSA
 * PKCS#1 v1.5 (SHA-256/384/512) and Ed25519 then verify with node:crypto; other algorithms
 * (RSA-PSS, SHA-1, Ed448 ...) go through @peculiar/x509.
 */
export async function verifyCsrSignature(input: string | Uint8Array | ArrayBuffer): Promise<boolean> {
  const der = input instanceof Uint8Array && parsedDers.has(input) ? input : parseCsr(input).der;
  let parts: ReturnType<typeof readCsrSignatureParts>;
  try {
    parts = readCsrSignatureParts(der);
  } catch {
    // The strict walk is the only way in: what it refuses (a signature BIT STRING with unused bits,
    // which `openssl req -verify` refuses too) must not reach a more lenient verifier.
    return false;
  }
  const fast = FAST_SIGNATURE_ALGORITHMS[parts.algorithmOid];
  if (fast && !(fast.keyType === 'ed25519' && parts.hasParameters)) {
    try {
      const key = createPublicKey({
        key: Buffer.from(parts.spki.buffer, parts.spki.byteOffset, parts.spki.byteLength),
        format: 'der',
        type: 'spki',
      });
      if (key.asymmetricKeyType === fast.keyType) return nodeVerify(fast.digest, parts.tbs, key, parts.signature);
    } catch {
      return false;
    }
  }
  try {
    return await new x509.Pkcs10CertificateRequest(bufferSource(der)).verify();
  } catch {
    return false;
  }
}
