/**
 * Test fixtures for the CRL, OCSP, CMS and PKCS#12 tests: CAs and leaves made by the openssl CLI (an
 * implementation independent of ours). Not exported from the package index.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { pemToDer } from './pem.js';
import { runOpenssl } from './test-support/openssl.js';

export type TestKeyKind = 'rsa' | 'ec' | 'ed25519';

export interface TestIdentity {
  key: KeyObject;
  keyPem: string;
  certPem: string;
  certDer: Uint8Array;
}

export function generateTestKey(kind: TestKeyKind): { key: KeyObject; keyPem: string } {
  const { privateKey } =
    kind === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: 2048 })
      : kind === 'ec'
        ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
        : generateKeyPairSync('ed25519');
  return { key: privateKey, keyPem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString() };
}

function identity(key: KeyObject, keyPem: string, certPem: string): TestIdentity {
  return { key, keyPem, certPem, certDer: pemToDer(certPem, 'CERTIFICATE') };
}

/** A self-signed CA certificate (basicConstraints CA, keyCertSign + cRLSign, SKI). */
export async function makeTestCa(kind: TestKeyKind, commonName: string): Promise<TestIdentity> {
  const { key, keyPem } = generateTestKey(kind);
  const args = [
    'req',
    '-x509',
    '-key',
    'ca.key',
    '-subj',
    `/CN=${commonName}/O=certctl tests`,
    '-days',
    '3650',
    '-out',
    'ca.pem',
  ];
  args.push(
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign,digitalSignature',
  );
  const result = await runOpenssl(args, { files: { 'ca.key': keyPem }, outputs: ['ca.pem'] });
  return identity(key, keyPem, result.outputs['ca.pem']!.toString());
}

/** A leaf signed by `ca`; `extensions` are extra `-addext` values. */
export async function makeTestLeaf(
  ca: TestIdentity,
  kind: TestKeyKind,
  commonName: string,
  extensions: string[] = [
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=clientAuth,emailProtection',
  ],
): Promise<TestIdentity> {
  const { key, keyPem } = generateTestKey(kind);
  const args = [
    'req',
    '-x509',
    '-key',
    'leaf.key',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-subj',
    `/CN=${commonName}`,
    '-days',
    '365',
  ];
  if (!extensions.some((e) => e.startsWith('basicConstraints')))
    args.push('-addext', 'basicConstraints=critical,CA:FALSE');
  for (const ext of extensions) args.push('-addext', ext);
  args.push('-out', 'leaf.pem');
  const result = await runOpenssl(args, {
    files: { 'leaf.key': keyPem, 'ca.pem': ca.certPem, 'ca.key': ca.keyPem },
    outputs: ['leaf.pem'],
  });
  return identity(key, keyPem, result.outputs['leaf.pem']!.toString());
}
