/**
 * Signature and digest algorithm identifiers, signing with node:crypto and verification by OID.
 * node:crypto signs ECDSA in the DER form X.509 wants and handles Ed25519, which pkijs cannot.
 */
import { createPrivateKey, createPublicKey, KeyObject, sign, verify } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import { type Asn1Node, algorithmIdentifier, NULL_DER, readOid, readSmallInt } from './asn1-der.js';
import { derFromPemOrDer } from './pem.js';

/** A private key: node KeyObject, WebCrypto CryptoKey (extractable or not), PKCS#8 PEM, or PKCS#8 DER. */
export type PrivateKeyInput = KeyObject | CryptoKey | string | Uint8Array;

export type DigestName = 'sha1' | 'sha256' | 'sha384' | 'sha512';
export type SignatureHash = 'sha256' | 'sha384' | 'sha512';

export const DIGEST_OIDS: Record<DigestName, string> = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
};

const DIGEST_BY_OID = new Map<string, DigestName>(
  Object.entries(DIGEST_OIDS).map(([name, o]) => [o, name as DigestName]),
);

export function digestNameForOid(algorithmOid: string): DigestName | undefined {
  return DIGEST_BY_OID.get(algorithmOid);
}

const RSA_SIG_OIDS: Record<DigestName, string> = {
  sha1: '1.2.840.113549.1.1.5',
  sha256: '1.2.840.113549.1.1.11',
  sha384: '1.2.840.113549.1.1.12',
  sha512: '1.2.840.113549.1.1.13',
};
const ECDSA_SIG_OIDS: Record<DigestName, string> = {
  sha1: '1.2.840.10045.4.1',
  sha256: '1.2.840.10045.4.3.2',
  sha384: '1.2.840.10045.4.3.3',
  sha512: '1.2.840.10045.4.3.4',
};
export const ED25519_OID = '1.3.101.112';
export const RSA_ENCRYPTION_OID = '1.2.840.113549.1.1.1';
const RSA_PSS_OID = '1.2.840.113549.1.1.10';
const MGF1_OID = '1.2.840.113549.1.1.8';

type VerifyScheme = { kind: 'rsa' | 'ecdsa'; hash: DigestName } | { kind: 'ed25519' } | { kind: 'rsa-pss' };
const SCHEME_BY_OID = new Map<string, VerifyScheme>();
for (const [hash, o] of Object.entries(RSA_SIG_OIDS)) SCHEME_BY_OID.set(o, { kind: 'rsa', hash: hash as DigestName });
for (const [hash, o] of Object.entries(ECDSA_SIG_OIDS))
  SCHEME_BY_OID.set(o, { kind: 'ecdsa', hash: hash as DigestName });
SCHEME_BY_OID.set(ED25519_OID, { kind: 'ed25519' });
SCHEME_BY_OID.set(RSA_PSS_OID, { kind: 'rsa-pss' });

export interface SigningAlgorithm {
  /** DER AlgorithmIdentifier to put in the structure being signed. */
  algorithmIdentifier: Uint8Array;
  /** Digest used (null for Ed25519, which hashes internally). */
  hash: DigestName | null;
  key: KeyObject;
}

const keyObjectCache = new WeakMap<object, KeyObject>();

/** A node KeyObject for any supported private key form; throws MalformedInputError (`private-key`). */
export function toPrivateKeyObject(input: PrivateKeyInput): KeyObject {
  if (input instanceof KeyObject) {
    if (input.type !== 'private') throw badKey('expected a private key, got a public key');
    return input;
  }
  if (typeof input === 'object' && input !== null && !(input instanceof Uint8Array)) {
    const cached = keyObjectCache.get(input);
    if (cached) return cached;
    try {
      const key = KeyObject.from(input as CryptoKey);
      if (key.type !== 'private') throw badKey('expected a private CryptoKey');
      keyObjectCache.set(input, key);
      return key;
    } catch (cause) {
      if (MalformedInputError.isInstance(cause)) throw cause;
      throw badKey('unsupported private key object', cause);
    }
  }
  try {
    if (typeof input === 'string') {
      if (input.includes('ENCRYPTED PRIVATE KEY')) throw badKey('encrypted PEM private keys are not accepted here');
      return createPrivateKey({ key: input, format: 'pem' });
    }
    const der = derFromPemOrDer(input, 'PRIVATE KEY', 'private-key');
    return createPrivateKey({ key: Buffer.from(der), format: 'der', type: 'pkcs8' });
  } catch (cause) {
    if (MalformedInputError.isInstance(cause)) throw cause;
    throw badKey('private key could not be read (expected PKCS#8 or a PEM private key)', cause);
  }
}

function badKey(message: string, cause?: unknown): MalformedInputError {
  return new MalformedInputError({ inputKind: 'private-key', message, cause });
}

const CURVE_HASH: Record<string, SignatureHash> = { prime256v1: 'sha256', secp384r1: 'sha384', secp521r1: 'sha512' };

/**
 * The signature algorithm for a key: RSA PKCS#1 v1.5 (sha256 unless `hash` says otherwise), ECDSA
 * with the curve's natural hash (or `hash`), Ed25519.
 */
export function signingAlgorithmFor(input: PrivateKeyInput, hash?: SignatureHash): SigningAlgorithm {
  const key = toPrivateKeyObject(input);
  switch (key.asymmetricKeyType) {
    case 'rsa': {
      const h = hash ?? 'sha256';
      return { key, hash: h, algorithmIdentifier: algorithmIdentifier(RSA_SIG_OIDS[h], NULL_DER) };
    }
    case 'ec': {
      const h = hash ?? CURVE_HASH[key.asymmetricKeyDetails?.namedCurve ?? ''] ?? 'sha256';
      return { key, hash: h, algorithmIdentifier: algorithmIdentifier(ECDSA_SIG_OIDS[h]) };
    }
    case 'ed25519':
      return { key, hash: null, algorithmIdentifier: algorithmIdentifier(ED25519_OID) };
    default:
      throw badKey(`signing with ${key.asymmetricKeyType ?? 'this'} keys is not supported (use RSA, EC or Ed25519)`);
  }
}

export function signBytes(algorithm: SigningAlgorithm, data: Uint8Array): Uint8Array {
  return new Uint8Array(sign(algorithm.hash, data, algorithm.key));
}

const publicKeyCache = new Map<string, KeyObject>();

function publicKeyFromSpki(spkiDer: Uint8Array): KeyObject {
  const id = Buffer.from(spkiDer).toString('base64');
  let key = publicKeyCache.get(id);
  if (!key) {
    key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
    if (publicKeyCache.size > 256) publicKeyCache.clear();
    publicKeyCache.set(id, key);
  }
  return key;
}

/**
 * Verifies `signature` over `data` with the key in `spkiDer`, for the AlgorithmIdentifier node
 * `algorithm`. Returns false for a bad signature or an algorithm/key mismatch; throws for an
 * unknown algorithm.
 */
export function verifySignatureWithSpki(
  algorithm: Asn1Node,
  spkiDer: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  const [oidNode, params] = algorithm.seq('AlgorithmIdentifier');
  if (!oidNode) throw new Error('empty AlgorithmIdentifier');
  const algorithmOid = readOid(oidNode);
  const scheme = SCHEME_BY_OID.get(algorithmOid);
  if (!scheme) throw new Error(`unsupported signature algorithm ${algorithmOid}`);
  let key: KeyObject;
  try {
    key = publicKeyFromSpki(spkiDer);
  } catch {
    return false;
  }
  try {
    switch (scheme.kind) {
      case 'ed25519':
        return key.asymmetricKeyType === 'ed25519' && verify(null, data, key, signature);
      case 'rsa':
        return key.asymmetricKeyType === 'rsa' && verify(scheme.hash, data, key, signature);
      case 'ecdsa':
        return key.asymmetricKeyType === 'ec' && verify(scheme.hash, data, key, signature);
      case 'rsa-pss': {
        const pss = readPssParams(params);
        return verify(
          pss.hash,
          data,
          { key, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: pss.saltLength },
          signature,
        );
      }
    }
  } catch {
    return false;
  }
}

function readPssParams(params: Asn1Node | undefined): { hash: DigestName; saltLength: number } {
  let hash: DigestName = 'sha1';
  let saltLength = 20;
  for (const field of params?.seq('RSASSA-PSS-params') ?? []) {
    const [inner] = field.children();
    if (!inner) continue;
    if (field.tag === 0xa0) {
      const [o] = inner.seq('hashAlgorithm');
      hash = (o && digestNameForOid(readOid(o))) || hash;
    } else if (field.tag === 0xa1) {
      const [o, mgfHash] = inner.seq('maskGenAlgorithm');
      if (!o || readOid(o) !== MGF1_OID || !mgfHash) throw new Error('unsupported PSS mask generation');
    } else if (field.tag === 0xa2) {
      saltLength = readSmallInt(inner, 'saltLength');
    }
  }
  return { hash, saltLength };
}

/** AlgorithmIdentifier DER for a digest (parameters absent, as RFC 5754 recommends). */
export function digestAlgorithmIdentifier(hash: DigestName): Uint8Array {
  return algorithmIdentifier(DIGEST_OIDS[hash]);
}

/** Reads the digest of an AlgorithmIdentifier node; throws for an unknown one. */
export function readDigestAlgorithm(node: Asn1Node): DigestName {
  const [o] = node.seq('DigestAlgorithmIdentifier');
  if (!o) throw new Error('empty DigestAlgorithmIdentifier');
  const algorithmOid = readOid(o);
  const name = digestNameForOid(algorithmOid);
  if (!name) throw new Error(`unsupported digest algorithm ${algorithmOid}`);
  return name;
}
