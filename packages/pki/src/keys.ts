/**
 * Key pairs: generation, import/export (PKCS#8, SPKI, PEM, JWK), conversion to node:crypto
 * KeyObjects for the fast signing path, and a description of a key for policy checks.
 *
 * Keys are WebCrypto CryptoKeys (what @peculiar/x509 and pkijs sign with). Parsing of key bytes is
 * delegated to node:crypto, which understands PKCS#8 (plain and encrypted), PKCS#1 and SEC1 alike.
 */
import { createPrivateKey, createPublicKey, KeyObject, type JsonWebKey as NodeJsonWebKey } from 'node:crypto';
import { MalformedInputError, UnsupportedOperationError } from '@certctl/core';
import { Asn1DecodeError, readDer, readOid, TAG } from './asn1-der.js';
import { crypto } from './crypto-provider.js';
import { derToPem, splitPemBundle } from './pem.js';

export type KeyAlgorithmName = 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ed25519';

export const KEY_ALGORITHM_NAMES: readonly KeyAlgorithmName[] = [
  'ecdsa-p256',
  'ecdsa-p384',
  'rsa-2048',
  'rsa-3072',
  'rsa-4096',
  'ed25519',
];

export type RsaHash = 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface GenerateKeyPairOptions {
  algorithm: KeyAlgorithmName;
  /** Whether the private key may be exported (PKCS#8, JWK). Default true. */
  extractable?: boolean;
}

export interface ImportKeyOptions {
  /** For encrypted PKCS#8 ("ENCRYPTED PRIVATE KEY"). */
  passphrase?: string;
  /** Default true. */
  extractable?: boolean;
  /** The hash RSA keys are bound to for signing (WebCrypto binds it at import). Default SHA-256. */
  rsaHash?: RsaHash;
}

export type PublicKeyType = 'rsa' | 'rsa-pss' | 'ec' | 'ed25519' | 'ed448' | 'dsa' | 'unknown';

export interface PublicKeyDescription {
  type: PublicKeyType;
  /** Modulus size for RSA, curve size for EC, 255/448 for EdDSA, 0 when unknown. */
  bits: number;
  /** NIST name of the curve (`P-256`, `P-384`, `P-521`) or the node name of another curve. */
  curve?: string;
  /** The matching generation name when the key is one we generate. */
  name?: KeyAlgorithmName;
  /** OID of the SubjectPublicKeyInfo algorithm. */
  algorithmOid: string;
}

type AnyKey = CryptoKey | KeyObject;

const PRIVATE_KEY_LABELS = ['PRIVATE KEY', 'ENCRYPTED PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY'];
const PUBLIC_KEY_LABELS = ['PUBLIC KEY', 'RSA PUBLIC KEY'];
const NODE_CURVE_TO_NIST: Record<string, string> = {
  prime256v1: 'P-256',
  'P-256': 'P-256',
  secp384r1: 'P-384',
  'P-384': 'P-384',
  secp521r1: 'P-521',
  'P-521': 'P-521',
};

function generationParams(algorithm: KeyAlgorithmName): RsaHashedKeyGenParams | EcKeyGenParams | Algorithm {
  switch (algorithm) {
    case 'ecdsa-p256':
      return { name: 'ECDSA', namedCurve: 'P-256' };
    case 'ecdsa-p384':
      return { name: 'ECDSA', namedCurve: 'P-384' };
    case 'rsa-2048':
    case 'rsa-3072':
    case 'rsa-4096':
      return {
        name: 'RSASSA-PKCS1-v1_5',
        modulusLength: Number(algorithm.slice(4)),
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: 'SHA-256',
      };
    case 'ed25519':
      return { name: 'Ed25519' };
    default:
      throw new MalformedInputError({
        inputKind: 'key-algorithm',
        message: `unknown key algorithm "${String(algorithm)}"; use one of ${KEY_ALGORITHM_NAMES.join(', ')}`,
      });
  }
}

/** A fresh signing key pair. RSA keys are bound to RSASSA-PKCS1-v1_5 with SHA-256. */
export async function generateKeyPair(options: GenerateKeyPairOptions): Promise<CryptoKeyPair> {
  const params = generationParams(options.algorithm);
  return (await crypto.subtle.generateKey(params, options.extractable ?? true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** The node:crypto KeyObject for a key; sync and cheap, for `crypto.sign` on hot paths. */
export function toKeyObject(key: AnyKey): KeyObject {
  if (key instanceof KeyObject) return key;
  return KeyObject.from(key as Parameters<typeof KeyObject.from>[0]);
}

function importParams(
  keyObject: KeyObject,
  rsaHash: RsaHash,
  inputKind: string,
): RsaHashedImportParams | EcKeyImportParams | Algorithm {
  const type = keyObject.asymmetricKeyType;
  switch (type) {
    case 'rsa':
      return { name: 'RSASSA-PKCS1-v1_5', hash: rsaHash };
    case 'rsa-pss':
      return { name: 'RSA-PSS', hash: rsaHash };
    case 'ec': {
      const curve = NODE_CURVE_TO_NIST[keyObject.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!curve) {
        throw new MalformedInputError({
          inputKind,
          message: `unsupported EC curve ${keyObject.asymmetricKeyDetails?.namedCurve}; use P-256, P-384 or P-521`,
        });
      }
      return { name: 'ECDSA', namedCurve: curve };
    }
    case 'ed25519':
      return { name: 'Ed25519' };
    case 'ed448':
      return { name: 'Ed448' };
    default:
      throw new MalformedInputError({ inputKind, message: `unsupported key type ${type}; use RSA, ECDSA or Ed25519` });
  }
}

function privateKeyObjectFrom(input: string | Uint8Array, passphrase: string | undefined): KeyObject {
  const inputKind = 'private-key';
  if (typeof input === 'string') {
    const block = splitPemBundle(input).find((b) => PRIVATE_KEY_LABELS.includes(b.label));
    if (!block) throw new MalformedInputError({ inputKind, message: 'no PRIVATE KEY PEM block found' });
    try {
      return createPrivateKey({ key: derToPem(block.der, block.label), format: 'pem', passphrase });
    } catch (cause) {
      throw new MalformedInputError({
        inputKind,
        message: `could not read the ${block.label} block (wrong passphrase or corrupt key)`,
        cause,
      });
    }
  }
  if (!(input instanceof Uint8Array))
    throw new MalformedInputError({ inputKind, message: 'private key must be PEM text or DER bytes' });
  const der = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
  let firstError: unknown;
  for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
    try {
      return createPrivateKey({ key: der, format: 'der', type, passphrase });
    } catch (cause) {
      firstError ??= cause;
    }
  }
  throw new MalformedInputError({
    inputKind,
    message: 'DER bytes are not a PKCS#8, PKCS#1 or SEC1 private key',
    cause: firstError,
  });
}

function publicKeyObjectFrom(input: string | Uint8Array): KeyObject {
  const inputKind = 'public-key';
  try {
    if (typeof input === 'string') {
      const block = splitPemBundle(input).find((b) => PUBLIC_KEY_LABELS.includes(b.label));
      if (!block) throw new MalformedInputError({ inputKind, message: 'no PUBLIC KEY PEM block found' });
      return createPublicKey({ key: derToPem(block.der, block.label), format: 'pem' });
    }
    if (!(input instanceof Uint8Array))
      throw new MalformedInputError({ inputKind, message: 'public key must be PEM text or SPKI DER bytes' });
    return createPublicKey({
      key: Buffer.from(input.buffer, input.byteOffset, input.byteLength),
      format: 'der',
      type: 'spki',
    });
  } catch (cause) {
    if (MalformedInputError.isInstance(cause)) throw cause;
    throw new MalformedInputError({ inputKind, message: 'not a valid SubjectPublicKeyInfo', cause });
  }
}

/** A CryptoKey (usage `sign`) from PKCS#8 (plain or encrypted), PKCS#1 or SEC1, as PEM or DER. */
export async function importPrivateKey(input: string | Uint8Array, options: ImportKeyOptions = {}): Promise<CryptoKey> {
  const keyObject = privateKeyObjectFrom(input, options.passphrase);
  return keyObjectToCryptoKey(keyObject, options);
}

/** A CryptoKey (usage `verify`) from SPKI DER or a PUBLIC KEY PEM. */
export async function importPublicKey(input: string | Uint8Array, options: ImportKeyOptions = {}): Promise<CryptoKey> {
  const keyObject = publicKeyObjectFrom(input);
  return keyObjectToCryptoKey(keyObject, options);
}

/** A CryptoKey from a node:crypto KeyObject (public or private). */
export async function keyObjectToCryptoKey(
  keyObject: KeyObject,
  options: Pick<ImportKeyOptions, 'extractable' | 'rsaHash'> = {},
): Promise<CryptoKey> {
  const isPrivate = keyObject.type === 'private';
  const inputKind = isPrivate ? 'private-key' : 'public-key';
  const params = importParams(keyObject, options.rsaHash ?? 'SHA-256', inputKind);
  const der = isPrivate
    ? keyObject.export({ format: 'der', type: 'pkcs8' })
    : keyObject.export({ format: 'der', type: 'spki' });
  try {
    return await crypto.subtle.importKey(isPrivate ? 'pkcs8' : 'spki', der, params, options.extractable ?? true, [
      isPrivate ? 'sign' : 'verify',
    ]);
  } catch (cause) {
    throw new MalformedInputError({
      inputKind,
      message: `the ${keyObject.asymmetricKeyType} key could not be imported for signing`,
      cause,
    });
  }
}

/** A CryptoKey from a JWK (private when it carries `d`). */
export async function importJwk(
  jwk: JsonWebKey,
  options: Pick<ImportKeyOptions, 'extractable' | 'rsaHash'> = {},
): Promise<CryptoKey> {
  let keyObject: KeyObject;
  try {
    const input = { key: jwk as NodeJsonWebKey, format: 'jwk' } as const;
    keyObject = jwk.d === undefined ? createPublicKey(input) : createPrivateKey(input);
  } catch (cause) {
    throw new MalformedInputError({ inputKind: 'jwk', message: 'not a valid RSA, EC or OKP JWK', cause });
  }
  return keyObjectToCryptoKey(keyObject, options);
}

/** The public half of a private key, as a CryptoKey (usage `verify`). */
export async function publicKeyOf(privateKey: AnyKey): Promise<CryptoKey> {
  return keyObjectToCryptoKey(createPublicKey(toKeyObject(privateKey)));
}

/** KeyObject.from ignores WebCrypto's extractable flag; honour it before any private key leaves. */
function assertExportable(key: AnyKey): void {
  if (!(key instanceof KeyObject) && key.type === 'private' && !key.extractable) {
    throw new UnsupportedOperationError({ operation: 'exporting a non-extractable private key' });
  }
}

/** PKCS#8 DER of a private key. */
export function exportPkcs8(privateKey: AnyKey): Uint8Array {
  assertExportable(privateKey);
  return new Uint8Array(toKeyObject(privateKey).export({ format: 'der', type: 'pkcs8' }));
}

/** SubjectPublicKeyInfo DER of a public key, or of the public half of a private key. */
export function exportSpki(key: AnyKey): Uint8Array {
  const keyObject = toKeyObject(key);
  const publicKey = keyObject.type === 'private' ? createPublicKey(keyObject) : keyObject;
  return new Uint8Array(publicKey.export({ format: 'der', type: 'spki' }));
}

/** `-----BEGIN PRIVATE KEY-----` (PKCS#8), or encrypted PKCS#8 (AES-256-CBC) with a passphrase. */
export function exportPrivateKeyPem(privateKey: AnyKey, passphrase?: string): string {
  assertExportable(privateKey);
  const keyObject = toKeyObject(privateKey);
  if (passphrase === undefined) return derToPem(exportPkcs8(keyObject), 'PRIVATE KEY');
  return keyObject.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase }) as string;
}

/** `-----BEGIN PUBLIC KEY-----` (SPKI). */
export function exportPublicKeyPem(key: AnyKey): string {
  return derToPem(exportSpki(key), 'PUBLIC KEY');
}

/** The key as a JWK (private members included for a private key). */
export function exportJwk(key: AnyKey): JsonWebKey {
  assertExportable(key);
  return toKeyObject(key).export({ format: 'jwk' }) as JsonWebKey;
}

/** The algorithm OID of a SubjectPublicKeyInfo, read with the DER walker (the schema parser costs ~50 us a call). */
function algorithmOidOf(spki: Uint8Array): string {
  try {
    const [algorithm, key, ...rest] = readDer(spki).seq('SubjectPublicKeyInfo');
    if (!algorithm || !key || rest.length > 0) throw new Asn1DecodeError('SubjectPublicKeyInfo: wrong field count');
    key.expect(TAG.bitString, 'subjectPublicKey');
    const [oidNode] = algorithm.seq('algorithm');
    if (!oidNode) throw new Asn1DecodeError('algorithm: missing OID');
    return readOid(oidNode);
  } catch (cause) {
    throw new MalformedInputError({ inputKind: 'public-key', message: 'not a valid SubjectPublicKeyInfo', cause });
  }
}

function generationNameOf(type: PublicKeyType, bits: number, curve: string | undefined): KeyAlgorithmName | undefined {
  if (type === 'rsa' && (bits === 2048 || bits === 3072 || bits === 4096)) return `rsa-${bits}`;
  if (type === 'ec' && curve === 'P-256') return 'ecdsa-p256';
  if (type === 'ec' && curve === 'P-384') return 'ecdsa-p384';
  if (type === 'ed25519') return 'ed25519';
  return undefined;
}

/**
 * Algorithm, size and curve of a key (a CryptoKey, a KeyObject, or SPKI DER), for policy checks
 * such as "RSA at least 2048 bits, EC only on P-256/P-384". Private keys are described by their
 * public half. Unknown algorithms come back as `type: 'unknown'` with their OID, never as an error.
 */
export function describePublicKey(key: AnyKey | Uint8Array): PublicKeyDescription {
  let spki: Uint8Array;
  let keyObject: KeyObject | undefined;
  let algorithmOid: string | undefined;
  if (key instanceof Uint8Array) {
    spki = key;
    algorithmOid = algorithmOidOf(spki);
    try {
      keyObject = createPublicKey({
        key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength),
        format: 'der',
        type: 'spki',
      });
    } catch {
      return { type: 'unknown', bits: 0, algorithmOid };
    }
  } else {
    keyObject = toKeyObject(key);
    if (keyObject.type === 'private') keyObject = createPublicKey(keyObject);
    spki = exportSpki(keyObject);
  }
  algorithmOid ??= algorithmOidOf(spki);
  const details = keyObject.asymmetricKeyDetails ?? {};
  const nodeType = keyObject.asymmetricKeyType ?? '';
  let type: PublicKeyType;
  let bits = 0;
  let curve: string | undefined;
  switch (nodeType) {
    case 'rsa':
    case 'rsa-pss':
    case 'dsa':
      type = nodeType;
      bits = details.modulusLength ?? 0;
      break;
    case 'ec':
      type = 'ec';
      curve = NODE_CURVE_TO_NIST[details.namedCurve ?? ''] ?? details.namedCurve;
      bits = curve === 'P-256' ? 256 : curve === 'P-384' ? 384 : curve === 'P-521' ? 521 : 0;
      break;
    case 'ed25519':
      type = 'ed25519';
      bits = 255;
      break;
    case 'ed448':
      type = 'ed448';
      bits = 448;
      break;
    default:
      type = 'unknown';
  }
  const name = generationNameOf(type, bits, curve);
  return { type, bits, ...(curve ? { curve } : {}), ...(name ? { name } : {}), algorithmOid };
}
