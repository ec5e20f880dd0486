/**
 * An enterprise-style hierarchy made by the openssl CLI (not by our code): a root and an issuing
 * intermediate whose files feed sub-CA mode, as an operator would receive them from ADCS.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface OpensslHierarchy {
  dir: string;
  rootPem: string;
  intermediatePem: string;
  /** Files for sub-CA mode. */
  intermediateCertPath: string;
  /** PKCS#8, mode 0600. */
  intermediateKeyPath: string;
  /** The same key encrypted with `passphrase`, mode 0400. */
  encryptedKeyPath: string;
  passphrase: string;
  /** The root alone, as ca_chain_path. */
  chainPath: string;
  /** A leaf (CA:FALSE) certificate and its key, to prove non-CA certificates are refused. */
  leafCertPath: string;
  leafKeyPath: string;
  remove(): Promise<void>;
}

function run(dir: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile('openssl', args, { cwd: dir, timeout: 30_000 }, (error, _out, err) =>
      error ? reject(new Error(`openssl ${args.join(' ')}: ${err}`)) : resolve(),
    );
  });
}

const EXTENSIONS = `[v3_intermediate]
basicConstraints = critical, CA:TRUE, pathlen:0
keyUsage = critical, keyCertSign, cRLSign, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
`;

export async function createOpensslHierarchy(
  options: { intermediateKey?: 'rsa' | 'ec' } = {},
): Promise<OpensslHierarchy> {
  const dir = await mkdtemp(join(tmpdir(), 'issuer-local-subca-'));
  const passphrase = 'correct horse battery staple';
  await writeFile(join(dir, 'ext.cnf'), EXTENSIONS);
  await run(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'root-key.pem',
    '-out',
    'root.pem',
    '-days',
    '3650',
    '-subj',
    '/O=Example Corp/CN=Example Enterprise Root',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  const keyArgs =
    options.intermediateKey === 'ec'
      ? ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256']
      : ['-newkey', 'rsa:2048'];
  await run(dir, [
    'req',
    '-new',
    ...keyArgs,
    '-nodes',
    '-keyout',
    'int-key.pem',
    '-out',
    'int.csr',
    '-subj',
    '/O=Example Corp/CN=certctl Issuing CA',
  ]);
  await run(dir, [
    'x509',
    '-req',
    '-in',
    'int.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root-key.pem',
    '-set_serial',
    '0x1001',
    '-days',
    '1825',
    '-out',
    'int.pem',
    '-extfile',
    'ext.cnf',
    '-extensions',
    'v3_intermediate',
  ]);
  await run(dir, [
    'pkcs8',
    '-topk8',
    '-in',
    'int-key.pem',
    '-out',
    'int-key-enc.pem',
    '-v2',
    'aes-256-cbc',
    '-passout',
    `pass:${passphrase}`,
  ]);
  await run(dir, [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'leaf-key.pem',
    '-out',
    'leaf.csr',
    '-subj',
    '/CN=not-a-ca.example',
  ]);
  await run(dir, [
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'root.pem',
    '-CAkey',
    'root-key.pem',
    '-set_serial',
    '0x2002',
    '-days',
    '30',
    '-out',
    'leaf.pem',
    '-extfile',
    'ext.cnf',
    '-extensions',
    'v3_leaf',
  ]);
  await chmod(join(dir, 'int-key.pem'), 0o600);
  await chmod(join(dir, 'int-key-enc.pem'), 0o400);
  await chmod(join(dir, 'leaf-key.pem'), 0o600);
  return {
    dir,
    rootPem: await readFile(join(dir, 'root.pem'), 'utf8'),
    intermediatePem: await readFile(join(dir, 'int.pem'), 'utf8'),
    intermediateCertPath: join(dir, 'int.pem'),
    intermediateKeyPath: join(dir, 'int-key.pem'),
    encryptedKeyPath: join(dir, 'int-key-enc.pem'),
    passphrase,
    chainPath: join(dir, 'root.pem'),
    leafCertPath: join(dir, 'leaf.pem'),
    leafKeyPath: join(dir, 'leaf-key.pem'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
