/**
 * Test helper: a JWK provisioner as `step ca provisioner add` writes it into ca.json (public key,
 * `encryptedKey` as a compact JWE with PBES2-HS256+A128KW / A256GCM / p2c 100000), and the flattened
 * JWE file `step crypto jwk create` writes for the same key.
 */
import { CompactEncrypt, calculateJwkThumbprint, exportJWK, FlattenedEncrypt, generateKeyPair, type JWK } from 'jose';

export interface ProvisionerFixture {
  name: string;
  password: string;
  publicJwk: JWK & { kid: string };
  /** The ca.json provisioner entry. */
  caJsonEntry: { type: 'JWK'; name: string; key: JWK; encryptedKey: string };
  /** `step crypto jwk create` output: the private key as a flattened JWE (JSON). */
  encryptedJwkFile: string;
  /** The private JWK in the clear (what `--no-password --insecure` writes). */
  plainPrivateJwk: JWK;
}

const PBES2 = { alg: 'PBES2-HS256+A128KW', enc: 'A256GCM', cty: 'jwk+json' } as const;

export async function createProvisionerFixture(
  name = 'certctl@example.test',
  password = 'correct horse battery staple',
): Promise<ProvisionerFixture> {
  const { publicKey, privateKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  const fullPublic = { ...publicJwk, use: 'sig', kid, alg: 'ES256' } as JWK & { kid: string };
  const privateJwk = { ...(await exportJWK(privateKey)), use: 'sig', kid, alg: 'ES256' };
  const plaintext = new TextEncoder().encode(JSON.stringify(privateJwk));
  const secret = new TextEncoder().encode(password);
  const encryptedKey = await new CompactEncrypt(plaintext)
    .setProtectedHeader(PBES2)
    .setKeyManagementParameters({ p2c: 100_000 })
    .encrypt(secret);
  const flattened = await new FlattenedEncrypt(plaintext)
    .setProtectedHeader(PBES2)
    .setKeyManagementParameters({ p2c: 100_000 })
    .encrypt(secret);
  return {
    name,
    password,
    publicJwk: fullPublic,
    caJsonEntry: { type: 'JWK', name, key: fullPublic, encryptedKey },
    encryptedJwkFile: JSON.stringify(flattened),
    plainPrivateJwk: privateJwk,
  };
}
