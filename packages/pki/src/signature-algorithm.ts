/** Which signature algorithm a signing key implies, for WebCrypto (the general builder) and node:crypto (the fast path). */
import type { KeyObject } from 'node:crypto';
import { UnsupportedOperationError } from '@certctl/core';

/** WebCrypto parameters @peculiar/x509 signs with: the hash follows the curve for ECDSA, the key for RSA. */
export function webCryptoSigningAlgorithm(key: CryptoKey): Algorithm | EcdsaParams | RsaPssParams {
  const algorithm = key.algorithm as EcKeyAlgorithm & RsaHashedKeyAlgorithm;
  switch (algorithm.name) {
    case 'ECDSA':
      return {
        name: 'ECDSA',
        hash: algorithm.namedCurve === 'P-384' ? 'SHA-384' : algorithm.namedCurve === 'P-521' ? 'SHA-512' : 'SHA-256',
      };
    case 'RSASSA-PKCS1-v1_5':
      return { name: 'RSASSA-PKCS1-v1_5', hash: algorithm.hash } as Algorithm;
    case 'RSA-PSS':
      return { name: 'RSA-PSS', hash: algorithm.hash, saltLength: 32 } as RsaPssParams;
    case 'Ed25519':
      return { name: 'Ed25519' };
    default:
      throw new UnsupportedOperationError({ operation: `signing with ${algorithm.name} keys` });
  }
}

export interface NodeSignatureSpec {
  /** DER of the AlgorithmIdentifier placed in the TBS and the certificate. */
  algorithmIdentifier: Uint8Array;
  /** Digest for `crypto.sign`; null for Ed25519 (the algorithm hashes itself). */
  digest: 'sha256' | 'sha384' | 'sha512' | null;
}

const ECDSA_WITH = (last: number) =>
  Uint8Array.of(0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, last);
const SHA256_WITH_RSA = Uint8Array.of(
  0x30,
  0x0d,
  0x06,
  0x09,
  0x2a,
  0x86,
  0x48,
  0x86,
  0xf7,
  0x0d,
  0x01,
  0x01,
  0x0b,
  0x05,
  0x00,
);
const ED25519 = Uint8Array.of(0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70);

/** AlgorithmIdentifier and digest for signing with a node KeyObject: ECDSA (hash by curve), RSA PKCS#1 v1.5 SHA-256, Ed25519. */
export function nodeSignatureSpec(key: KeyObject): NodeSignatureSpec {
  switch (key.asymmetricKeyType) {
    case 'ec': {
      const curve = key.asymmetricKeyDetails?.namedCurve;
      if (curve === 'prime256v1') return { algorithmIdentifier: ECDSA_WITH(0x02), digest: 'sha256' };
      if (curve === 'secp384r1') return { algorithmIdentifier: ECDSA_WITH(0x03), digest: 'sha384' };
      if (curve === 'secp521r1') return { algorithmIdentifier: ECDSA_WITH(0x04), digest: 'sha512' };
      throw new UnsupportedOperationError({ operation: `signing with EC curve ${curve}` });
    }
    case 'rsa':
      return { algorithmIdentifier: SHA256_WITH_RSA, digest: 'sha256' };
    case 'ed25519':
      return { algorithmIdentifier: ED25519, digest: null };
    default:
      throw new UnsupportedOperationError({ operation: `signing with ${key.asymmetricKeyType} keys` });
  }
}
