import { MalformedInputError } from '@certctl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  describePublicKey,
  exportJwk,
  exportPkcs8,
  exportPrivateKeyPem,
  exportPublicKeyPem,
  exportSpki,
  generateKeyPair,
  importJwk,
  importPrivateKey,
  importPublicKey,
  type KeyAlgorithmName,
  publicKeyOf,
  toKeyObject,
} from './keys.js';
import { crypto } from './crypto-provider.js';
import { runOpenssl } from './test-support/openssl.js';

async function signsAndVerifies(privateKey: CryptoKey, publicKey: CryptoKey): Promise<boolean> {
  const data = new TextEncoder().encode('certctl');
  const algorithm =
    privateKey.algorithm.name === 'ECDSA'
      ? { name: 'ECDSA', hash: 'SHA-256' }
      : privateKey.algorithm.name === 'RSA-PSS'
        ? { name: 'RSA-PSS', saltLength: 32 }
        : privateKey.algorithm;
  const signature = await crypto.subtle.sign(algorithm, privateKey, data);
  return crypto.subtle.verify(algorithm, publicKey, signature, data);
}

describe('keys', () => {
  const cases: [KeyAlgorithmName, { type: string; bits: number; curve?: string }][] = [
    ['ecdsa-p256', { type: 'ec', bits: 256, curve: 'P-256' }],
    ['ecdsa-p384', { type: 'ec', bits: 384, curve: 'P-384' }],
    ['rsa-2048', { type: 'rsa', bits: 2048 }],
    ['ed25519', { type: 'ed25519', bits: 255 }],
  ];

  it.each(cases)('generates %s, round-trips PKCS#8/SPKI/PEM/JWK and describes it', async (algorithm, expected) => {
    const pair = await generateKeyPair({ algorithm });
    expect(describePublicKey(pair.publicKey)).toMatchObject({ ...expected, name: algorithm });
    expect(describePublicKey(pair.privateKey)).toMatchObject({ ...expected, name: algorithm });
    expect(describePublicKey(exportSpki(pair.publicKey))).toMatchObject({ ...expected, name: algorithm });

    const fromPkcs8 = await importPrivateKey(exportPkcs8(pair.privateKey));
    const fromPem = await importPrivateKey(exportPrivateKeyPem(pair.privateKey));
    const fromEncrypted = await importPrivateKey(exportPrivateKeyPem(pair.privateKey, 'pw'), { passphrase: 'pw' });
    const fromJwk = await importJwk(exportJwk(pair.privateKey));
    const publicFromPem = await importPublicKey(exportPublicKeyPem(pair.publicKey));
    const publicFromJwk = await importJwk(exportJwk(pair.publicKey));
    for (const key of [fromPkcs8, fromPem, fromEncrypted, fromJwk, pair.privateKey]) {
      expect(await signsAndVerifies(key, publicFromPem)).toBe(true);
      expect(await signsAndVerifies(key, publicFromJwk)).toBe(true);
    }
    expect(exportSpki(await publicKeyOf(pair.privateKey))).toEqual(exportSpki(pair.publicKey));
    expect(toKeyObject(pair.privateKey).type).toBe('private');
  });

  it('generates RSA 3072 and 4096 keys of the right size', async () => {
    const [r3072, r4096] = await Promise.all([
      generateKeyPair({ algorithm: 'rsa-3072' }),
      generateKeyPair({ algorithm: 'rsa-4096' }),
    ]);
    expect(describePublicKey(r3072.publicKey)).toMatchObject({ type: 'rsa', bits: 3072, name: 'rsa-3072' });
    expect(describePublicKey(r4096.publicKey)).toMatchObject({ type: 'rsa', bits: 4096, name: 'rsa-4096' });
  });

  it('imports traditional PKCS#1 and SEC1 keys written by openssl', async () => {
    const { outputs } = await runOpenssl(
      ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ec.pem'],
      { outputs: ['ec.pem'] },
    );
    const sec1 = await runOpenssl(['ec', '-in', 'ec.pem', '-out', 'sec1.pem'], {
      files: { 'ec.pem': outputs['ec.pem']! },
      outputs: ['sec1.pem'],
    });
    const sec1Pem = sec1.outputs['sec1.pem']!.toString();
    expect(sec1Pem).toContain('BEGIN EC PRIVATE KEY');
    const ecKey = await importPrivateKey(sec1Pem);
    expect(describePublicKey(ecKey)).toMatchObject({ type: 'ec', curve: 'P-256' });

    const rsa = await runOpenssl(['genrsa', '-traditional', '-out', 'rsa.pem', '2048'], { outputs: ['rsa.pem'] });
    const rsaPem = rsa.outputs['rsa.pem']!.toString();
    expect(rsaPem).toContain('BEGIN RSA PRIVATE KEY');
    const rsaKey = await importPrivateKey(rsaPem);
    expect(describePublicKey(rsaKey)).toMatchObject({ type: 'rsa', bits: 2048 });
  });

  it('refuses to export a non-extractable private key but still signs and describes it', async () => {
    const pair = await generateKeyPair({ algorithm: 'ecdsa-p256', extractable: false });
    expect(() => exportPkcs8(pair.privateKey)).toThrow(/non-extractable/);
    expect(() => exportPrivateKeyPem(pair.privateKey)).toThrow(/non-extractable/);
    expect(() => exportJwk(pair.privateKey)).toThrow(/non-extractable/);
    expect(toKeyObject(pair.privateKey).type).toBe('private');
    expect(describePublicKey(pair.privateKey).name).toBe('ecdsa-p256');
    expect(exportPublicKeyPem(pair.privateKey)).toContain('BEGIN PUBLIC KEY');
  });

  it('rejects a wrong passphrase and garbage keys with MalformedInputError', async () => {
    const pair = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    await expect(
      importPrivateKey(exportPrivateKeyPem(pair.privateKey, 'pw'), { passphrase: 'nope' }),
    ).rejects.toSatisfy(MalformedInputError.isInstance);
    await expect(importPublicKey('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n')).rejects.toSatisfy(
      MalformedInputError.isInstance,
    );
    await expect(importJwk({ kty: 'EC', crv: 'P-256', x: 'AA' })).rejects.toSatisfy(MalformedInputError.isInstance);
  });

  it('never throws anything but MalformedInputError on arbitrary or mutated key bytes (fuzz)', async () => {
    const pair = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const pkcs8 = exportPkcs8(pair.privateKey);
    const spki = exportSpki(pair.publicKey);
    const mutated = (base: Uint8Array) =>
      fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })).map(([i, v]) => {
        const copy = base.slice();
        copy[i] = v;
        return copy;
      });
    const input = fc.oneof(fc.uint8Array({ maxLength: 200 }), mutated(pkcs8), mutated(spki));
    await fc.assert(
      fc.asyncProperty(input, async (der) => {
        for (const attempt of [
          () => importPrivateKey(der),
          () => importPublicKey(der),
          async () => describePublicKey(der),
        ]) {
          try {
            await attempt();
          } catch (error) {
            if (!MalformedInputError.isInstance(error)) throw error;
          }
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });
});
