import { createPrivateKey } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fuzzParser } from './asn1-test-fuzz.js';
import { makeTestCa, makeTestLeaf, type TestIdentity } from './asn1-test-pki.js';
import { derToPem } from './pem.js';
import { buildCertificatePkcs12, buildPkcs12, parsePkcs12 } from './pkcs12.js';
import { runOpenssl } from './test-support/openssl.js';

const PASSWORD = 'correct horse';

async function opensslInfo(p12: Uint8Array, password: string, extra: string[] = []) {
  return runOpenssl(['pkcs12', '-info', '-nodes', '-in', 'a.p12', '-passin', `pass:${password}`, ...extra], {
    files: { 'a.p12': p12 },
  });
}

const pemBodies = (text: string, label: string) =>
  [...text.matchAll(new RegExp(`-----BEGIN ${label}-----[\\s\\S]*?-----END ${label}-----\\n`, 'g'))].map((m) => m[0]);

describe('PKCS#12', () => {
  let ca: TestIdentity;
  let intermediate: TestIdentity;
  let rsaLeaf: TestIdentity;
  let ecLeaf: TestIdentity;

  beforeAll(async () => {
    ca = await makeTestCa('ec', 'P12 Root');
    intermediate = await makeTestLeaf(ca, 'ec', 'P12 Intermediate', [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign',
    ]);
    [rsaLeaf, ecLeaf] = await Promise.all([
      makeTestLeaf(ca, 'rsa', 'p12 rsa leaf'),
      makeTestLeaf(ca, 'ec', 'p12 ec leaf'),
    ]);
  });

  it.each([
    ['RSA', () => rsaLeaf],
    ['EC', () => ecLeaf],
  ])('openssl reads our AES-256/PBKDF2-SHA256 .p12 with a %s key, its chain and a SHA-256 MAC', async (_name, leaf) => {
    const p12 = buildPkcs12({
      privateKey: leaf().key,
      certificate: leaf().certPem,
      chain: [intermediate.certPem, ca.certDer],
      password: PASSWORD,
      friendlyName: 'web server',
    });
    const { stdout, stderr } = await opensslInfo(p12, PASSWORD);
    const info = stdout + stderr;
    expect(info).toContain('MAC: sha256, Iteration 2048');
    expect(info).toContain('PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256');
    expect(info).toContain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256');
    expect(info).toContain('friendlyName: web server');
    expect(pemBodies(stdout, 'PRIVATE KEY')).toEqual([leaf().keyPem]);
    expect(pemBodies(stdout, 'CERTIFICATE')).toEqual([leaf().certPem, intermediate.certPem, ca.certPem]);
  });

  it('openssl reads the legacy 3DES mode and a non-ASCII password', async () => {
    const password = 'pässwörd-ß';
    const p12 = buildPkcs12({
      privateKey: rsaLeaf.keyPem,
      certificate: rsaLeaf.certDer,
      password,
      encryption: 'legacy-3des',
    });
    const { stdout, stderr } = await opensslInfo(p12, password);
    expect(stdout + stderr).toContain('MAC: sha1, Iteration 2048');
    expect(stdout + stderr).toContain('Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048');
    expect(pemBodies(stdout, 'PRIVATE KEY')).toEqual([rsaLeaf.keyPem]);
    const parsed = parsePkcs12(p12, password);
    expect(parsed.certificate).toEqual(rsaLeaf.certDer);
  });

  it('a certificate-only .p12 holds the chain and no key', async () => {
    const p12 = buildCertificatePkcs12({
      certificate: ecLeaf.certPem,
      chain: [ca.certPem],
      password: '',
      friendlyName: 'export',
    });
    const { stdout, stderr } = await opensslInfo(p12, '');
    expect(stdout + stderr).not.toContain('Keybag');
    expect(pemBodies(stdout, 'CERTIFICATE')).toEqual([ecLeaf.certPem, ca.certPem]);
    const parsed = parsePkcs12(p12, '');
    expect(parsed.privateKeyPkcs8).toBeUndefined();
    expect(parsed.certificates).toEqual([ecLeaf.certDer, ca.certDer]);
    expect(parsed.friendlyName).toBe('export');
  });

  it.each([
    ['default (AES-256, SHA-256 MAC)', []],
    ['-legacy (RC2-40 certificates, 3DES key, SHA-1 MAC)', ['-legacy']],
    ['3DES everywhere', ['-keypbe', 'PBE-SHA1-3DES', '-certpbe', 'PBE-SHA1-3DES', '-macalg', 'sha1']],
    ['no encryption (plain keyBag)', ['-keypbe', 'NONE', '-certpbe', 'NONE']],
    ['AES-128 and SHA-512 MAC', ['-keypbe', 'AES-128-CBC', '-certpbe', 'AES-128-CBC', '-macalg', 'sha512']],
  ] as const)('parses an openssl pkcs12 -export file: %s', async (_name, extra) => {
    const result = await runOpenssl(
      [
        'pkcs12',
        '-export',
        '-inkey',
        'k.pem',
        '-in',
        'c.pem',
        '-certfile',
        'chain.pem',
        '-name',
        'from openssl',
        '-passout',
        `pass:${PASSWORD}`,
        '-out',
        'o.p12',
        ...extra,
      ],
      {
        files: { 'k.pem': rsaLeaf.keyPem, 'c.pem': rsaLeaf.certPem, 'chain.pem': intermediate.certPem + ca.certPem },
        outputs: ['o.p12'],
      },
    );
    const parsed = parsePkcs12(new Uint8Array(result.outputs['o.p12']!), PASSWORD);
    expect(derToPem(parsed.privateKeyPkcs8!, 'PRIVATE KEY')).toBe(rsaLeaf.keyPem);
    expect(
      createPrivateKey({ key: Buffer.from(parsed.privateKeyPkcs8!), format: 'der', type: 'pkcs8' }).asymmetricKeyType,
    ).toBe('rsa');
    expect(parsed.certificate).toEqual(rsaLeaf.certDer);
    expect(parsed.certificates).toHaveLength(3);
    expect(parsed.certificates[0]).toEqual(rsaLeaf.certDer);
    expect(parsed.friendlyName).toBe('from openssl');
  });

  it('round-trips its own output and rejects a wrong password', () => {
    const p12 = buildPkcs12({
      privateKey: ecLeaf.key,
      certificate: ecLeaf.certPem,
      chain: [ca.certPem],
      password: PASSWORD,
      iterations: 10,
    });
    const parsed = parsePkcs12(p12, PASSWORD);
    expect(derToPem(parsed.privateKeyPkcs8!, 'PRIVATE KEY')).toBe(ecLeaf.keyPem);
    expect(parsed.certificates).toEqual([ecLeaf.certDer, ca.certDer]);
    expect(() => parsePkcs12(p12, 'wrong')).toThrow(/wrong password or corrupted/);
    try {
      parsePkcs12(p12, 'wrong');
    } catch (error) {
      expect(MalformedInputError.isInstance(error)).toBe(true);
      expect((error as MalformedInputError).inputKind).toBe('pkcs12');
    }
  });

  it('parsePkcs12 throws only MalformedInputError on fuzzed input', () => {
    const withKey = buildPkcs12({
      privateKey: ecLeaf.key,
      certificate: ecLeaf.certPem,
      password: PASSWORD,
      iterations: 4,
    });
    const legacy = buildPkcs12({
      privateKey: ecLeaf.key,
      certificate: ecLeaf.certPem,
      password: PASSWORD,
      iterations: 4,
      encryption: 'legacy-3des',
    });
    const certOnly = buildCertificatePkcs12({ certificate: ca.certPem, password: PASSWORD, iterations: 4 });
    fuzzParser((bytes) => parsePkcs12(bytes, PASSWORD), [withKey, legacy, certOnly]);
  });
});
