import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createTempDir } from './temp-dir.js';

const run = promisify(execFile);

/** What a cloud secret store holds in the discovery tests, each made by openssl from one test CA. */
export interface SecretStoreCertificates {
  caPem: string;
  /** Leaf certificate (CN and DNS SAN `commonName`), signed by the CA. */
  leafPem: string;
  /** The leaf's private key: stored beside the certificate in secrets, never reported by discovery. */
  leafKeyPem: string;
  leafDer: Uint8Array;
  /** A second leaf, stored as DER. */
  otherPem: string;
  otherDer: Uint8Array;
  /** The leaf, its key and the CA in a PKCS#12 with an empty password. */
  pkcs12NoPassword: Uint8Array;
  /** The same under `pkcs12Password`. */
  pkcs12WithPassword: Uint8Array;
  pkcs12Password: string;
  /** SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it, lowercased without colons. */
  opensslFingerprint(pem: string): Promise<string>;
  /** Runs `openssl verify` of `pem` against the CA; resolves to openssl's output or rejects. */
  opensslVerify(pem: string): Promise<string>;
}

/**
 * Certificates for the secret-store discovery fakes, made with the openssl command line (not with the
 * code under test): a CA, two leaves (PEM and DER) and the first leaf in PKCS#12 with and without a
 * password. Needs `openssl` on PATH (installed by tooling/services).
 */
export async function createSecretStoreCertificates(
  options: { commonName?: string; otherCommonName?: string } = {},
): Promise<SecretStoreCertificates> {
  const dir = await createTempDir('certctl-secret-store-');
  try {
    const openssl = async (...args: string[]) => (await run('openssl', args, { cwd: dir.path })).stdout;
    const file = (name: string) => readFile(join(dir.path, name));
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    await openssl(
      ...['req', '-x509', ...ec, '-days', '30', '-subj', '/CN=certctl secret-store test CA'],
      ...['-addext', 'basicConstraints=critical,CA:TRUE', '-keyout', 'ca.key', '-out', 'ca.pem'],
    );
    const leaf = async (name: string, cn: string) => {
      await openssl(
        ...['req', ...ec, '-subj', `/CN=${cn}`, '-addext', `subjectAltName=DNS:${cn}`],
        ...['-keyout', `${name}.key`, '-out', `${name}.csr`],
      );
      await openssl(
        ...['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-days', '20'],
        ...['-copy_extensions', 'copy', '-out', `${name}.pem`],
      );
      await openssl('x509', '-in', `${name}.pem`, '-outform', 'DER', '-out', `${name}.der`);
    };
    await leaf('leaf', options.commonName ?? 'app.secret-store.test');
    await leaf('other', options.otherCommonName ?? 'other.secret-store.test');
    const pkcs12Password = 'correct horse battery';
    const p12 = (out: string, password: string) =>
      openssl(
        ...['pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'leaf.pem', '-certfile', 'ca.pem'],
        ...['-passout', `pass:${password}`, '-out', out],
      );
    await p12('nopass.p12', '');
    await p12('pass.p12', pkcs12Password);
    const caPem = (await file('ca.pem')).toString('utf8');
    const result: SecretStoreCertificates = {
      caPem,
      leafPem: (await file('leaf.pem')).toString('utf8'),
      leafKeyPem: (await file('leaf.key')).toString('utf8'),
      leafDer: new Uint8Array(await file('leaf.der')),
      otherPem: (await file('other.pem')).toString('utf8'),
      otherDer: new Uint8Array(await file('other.der')),
      pkcs12NoPassword: new Uint8Array(await file('nopass.p12')),
      pkcs12WithPassword: new Uint8Array(await file('pass.p12')),
      pkcs12Password,
      async opensslFingerprint(pem) {
        const out = await withInput(pem, ['x509', '-noout', '-fingerprint', '-sha256']);
        const hex = /=([0-9A-Fa-f:]+)/.exec(out)?.[1];
        if (!hex) throw new Error(`openssl printed no fingerprint: ${out}`);
        return hex.replaceAll(':', '').toLowerCase();
      },
      async opensslVerify(pem) {
        const check = await createTempDir('certctl-secret-store-verify-');
        try {
          await writeFile(join(check.path, 'ca.pem'), caPem);
          await writeFile(join(check.path, 'cert.pem'), pem);
          return (await run('openssl', ['verify', '-CAfile', 'ca.pem', 'cert.pem'], { cwd: check.path })).stdout;
        } finally {
          await check.remove();
        }
      },
    };
    return result;
  } finally {
    await dir.remove();
  }
}

function withInput(input: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('openssl', args, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    child.stdin?.end(input);
  });
}
