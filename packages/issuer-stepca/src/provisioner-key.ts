/**
 * Loads the JWK provisioner's private key. step-ca keeps it encrypted: in ca.json as `encryptedKey`
 * (a compact JWE), or in the file `step crypto jwk create` writes (a flattened JWE); both use
 * PBES2-HS256+A128KW with A256GCM and 100,000 PBKDF2 rounds. A plain private JWK is accepted too.
 */
import { readFile, stat } from 'node:fs/promises';
import { AuthenticationError, ConfigValidationError, MalformedInputError } from '@certctl/core';
import { calculateJwkThumbprint, compactDecrypt, type FlattenedJWE, flattenedDecrypt, importJWK, type JWK } from 'jose';
import { CONNECTOR } from './connector-name.js';

export interface ProvisionerKey {
  /** The `kid` step-ca knows the key by (the provisioner's `key.kid`, else the JWK thumbprint). */
  kid: string;
  alg: 'ES256' | 'ES384' | 'ES512' | 'EdDSA' | 'RS256' | 'PS256';
  privateKey: CryptoKey;
  /** Whether the file held the key encrypted (a password was needed). */
  encrypted: boolean;
}

const DECRYPT_OPTIONS = {
  keyManagementAlgorithms: ['PBES2-HS256+A128KW', 'PBES2-HS384+A192KW', 'PBES2-HS512+A256KW'],
  contentEncryptionAlgorithms: ['A128GCM', 'A192GCM', 'A256GCM'],
  // step writes p2c = 100000; jose refuses more than 10000 by default. The file is the operator's.
  maxPBES2Count: 1_000_000,
};

const malformed = (message: string, cause?: unknown) =>
  new MalformedInputError({ connector: CONNECTOR, inputKind: 'provisioner-key', message, cause });

/** Reads and decrypts the key file; the password never appears in an error. */
export async function loadProvisionerKey(path: string, password: string | undefined): Promise<ProvisionerKey> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new ConfigValidationError({
      connector: CONNECTOR,
      issues: [
        {
          path: 'provisioner_key_path',
          message: `cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
        },
      ],
    });
  }
  const key = await parseProvisionerKey(text, password);
  // An unencrypted private key must be private to its owner; an encrypted one is protected by the password.
  if (!key.encrypted && ((await stat(path)).mode & 0o077) !== 0) {
    throw new ConfigValidationError({
      connector: CONNECTOR,
      issues: [
        {
          path: 'provisioner_key_path',
          message: `${path} holds an unencrypted private key readable by group or others; chmod 600 it`,
        },
      ],
    });
  }
  return key;
}

export async function parseProvisionerKey(text: string, password: string | undefined): Promise<ProvisionerKey> {
  const trimmed = text.trim();
  let json: unknown;
  if (/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]*){4}$/.test(trimmed)) {
    json = { encryptedKey: trimmed };
  } else {
    try {
      json = JSON.parse(trimmed);
    } catch (cause) {
      throw malformed('the provisioner key file is neither JSON nor a compact JWE', cause);
    }
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw malformed('the provisioner key file is not a JSON object');
  const record = json as Record<string, unknown>;
  const publicKid =
    typeof (record.key as { kid?: unknown } | undefined)?.kid === 'string'
      ? (record.key as { kid: string }).kid
      : undefined;

  let jwk: JWK;
  let encrypted = true;
  if (typeof record.encryptedKey === 'string') {
    jwk = await decrypt(() => compactDecrypt(record.encryptedKey as string, secretOf(password), DECRYPT_OPTIONS));
  } else if (typeof record.protected === 'string' && typeof record.ciphertext === 'string') {
    jwk = await decrypt(() => flattenedDecrypt(record as unknown as FlattenedJWE, secretOf(password), DECRYPT_OPTIONS));
  } else if (typeof record.kty === 'string') {
    jwk = record as JWK;
    encrypted = false;
  } else {
    throw malformed('expected a provisioner (with encryptedKey), an encrypted JWK (JWE JSON) or a private JWK');
  }
  if (typeof jwk.d !== 'string') throw malformed('the key is a public JWK; the provisioner needs its private key');
  const alg = algorithmFor(jwk);
  let privateKey: CryptoKey;
  try {
    privateKey = (await importJWK(jwk, alg)) as CryptoKey;
  } catch (cause) {
    throw malformed(`the private JWK cannot be used for ${alg}`, cause);
  }
  const kid = publicKid ?? jwk.kid ?? (await calculateJwkThumbprint(jwk, 'sha256'));
  return { kid, alg, privateKey, encrypted };
}

function secretOf(password: string | undefined): Uint8Array {
  if (!password) {
    throw new ConfigValidationError({
      connector: CONNECTOR,
      issues: [{ path: 'provisioner_password', message: 'required: the provisioner key is encrypted' }],
    });
  }
  return new TextEncoder().encode(password);
}

async function decrypt(run: () => Promise<{ plaintext: Uint8Array }>): Promise<JWK> {
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await run());
  } catch (cause) {
    if (ConfigValidationError.isInstance(cause)) throw cause;
    const code = (cause as { code?: string }).code;
    if (code === 'ERR_JWE_DECRYPTION_FAILED') {
      throw new AuthenticationError({
        connector: CONNECTOR,
        message: 'the provisioner key does not decrypt with provisioner_password; check the password',
      });
    }
    throw malformed(
      `the encrypted provisioner key is not a JWE step-ca writes (${code ?? (cause as Error).message})`,
      cause,
    );
  }
  try {
    const parsed = JSON.parse(new TextDecoder().decode(plaintext)) as unknown;
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as JWK).kty !== 'string')
      throw new Error('not a JWK');
    return parsed as JWK;
  } catch (cause) {
    throw malformed('the decrypted provisioner key is not a JWK', cause);
  }
}

function algorithmFor(jwk: JWK): ProvisionerKey['alg'] {
  if (jwk.alg && ['ES256', 'ES384', 'ES512', 'EdDSA', 'RS256', 'PS256'].includes(jwk.alg))
    return jwk.alg as ProvisionerKey['alg'];
  if (jwk.kty === 'EC') {
    const byCurve = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' } as const;
    const alg = byCurve[jwk.crv as keyof typeof byCurve];
    if (alg) return alg;
  }
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'RSA') return 'RS256';
  throw malformed(`unsupported provisioner key type ${jwk.kty}${jwk.crv ? ` ${jwk.crv}` : ''}`);
}
