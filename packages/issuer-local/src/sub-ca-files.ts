/**
 * Sub-CA mode: the CA certificate and key come from files an operator placed on the server, the
 * certificate signed by an upstream CA (ADCS, an offline root), so issued certificates chain to the
 * enterprise root. Every check here fails with a ConfigValidationError naming the config key, because
 * the fix is always in the files or the config.
 */
import { readFile, stat } from 'node:fs/promises';
import { type ConfigIssue, ConfigValidationError, MalformedInputError } from '@certctl/core';
import {
  buildChain,
  importPrivateKey,
  type ParsedCertificate,
  parseCertificateBundle,
  toKeyObject,
  validatePath,
} from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';
import type { IssuingCa, IssuingCaSource } from './issuing-ca.js';
import { publicKeysMatch } from './key-match.js';

export interface SubCaFiles {
  certPath: string;
  keyPath: string;
  chainPath?: string;
  passphrase?: string;
}

function invalid(path: keyof typeof CONFIG_KEYS, message: string, cause?: unknown): ConfigValidationError {
  const issues: ConfigIssue[] = [{ path: CONFIG_KEYS[path], message }];
  return new ConfigValidationError({
    connector: CONNECTOR,
    issues,
    message: `${CONFIG_KEYS[path]}: ${message}`,
    cause,
  });
}

const CONFIG_KEYS = { cert: 'ca_cert_path', key: 'ca_key_path', chain: 'ca_chain_path' } as const;

const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;

/** A private key file must not be readable by group or others (0600 or 0400). */
export async function assertPrivateKeyFileMode(keyPath: string): Promise<void> {
  let mode: number;
  let isFile: boolean;
  try {
    const info = await stat(keyPath);
    mode = info.mode;
    isFile = info.isFile();
  } catch (cause) {
    throw invalid('key', `cannot read ${keyPath} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, cause);
  }
  if (!isFile) throw invalid('key', `${keyPath} is not a regular file`);
  // POSIX permission bits mean nothing on Windows; there the ACL is the operator's job.
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw invalid(
      'key',
      `${keyPath} has mode ${octal(mode)}, readable by group or others; a CA key must be 0600 or 0400 (run: chmod 600 ${keyPath})`,
    );
  }
}

async function readText(which: keyof typeof CONFIG_KEYS, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw invalid(which, `cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`, cause);
  }
}

function readCertificates(which: keyof typeof CONFIG_KEYS, path: string, text: string): ParsedCertificate[] {
  let certificates: ParsedCertificate[];
  try {
    certificates = parseCertificateBundle(text);
  } catch (cause) {
    const detail = MalformedInputError.isInstance(cause) ? cause.message.replace(/^\[certctl\] /, '') : 'unreadable';
    throw invalid(which, `${path} is not a PEM certificate file (${detail})`, cause);
  }
  if (certificates.length === 0) throw invalid(which, `${path} holds no "-----BEGIN CERTIFICATE-----" block`);
  return certificates;
}

function assertCanSignCertificates(
  which: keyof typeof CONFIG_KEYS,
  path: string,
  certificate: ParsedCertificate,
): void {
  if (certificate.basicConstraints?.ca !== true) {
    throw invalid(
      which,
      `${path}: "${certificate.subject}" is not a CA certificate (basicConstraints CA:TRUE is missing)`,
    );
  }
  if (certificate.keyUsage !== undefined && !certificate.keyUsage.includes('keyCertSign')) {
    throw invalid(which, `${path}: "${certificate.subject}" lacks the keyCertSign key usage`);
  }
}

/**
 * Orders the parents from ca_chain_path above the sub-CA (any order in the file), checking each
 * signature; with the root included, the whole path is validated as a relying party would.
 */
async function orderedParents(
  certificate: ParsedCertificate,
  pool: ParsedCertificate[],
  chainPath: string,
  now: Date,
): Promise<ParsedCertificate[]> {
  const built = await buildChain({ leaf: certificate.der, pool: pool.map((c) => c.der) });
  const parents = built.certificates.slice(1);
  const unused = pool.filter((c) => !parents.some((p) => Buffer.from(p.der).equals(Buffer.from(c.der))));
  if (parents.length === 0) {
    throw invalid(
      'chain',
      `${chainPath}: no certificate in it issued "${certificate.subject}" (its issuer is "${certificate.issuer}")`,
    );
  }
  if (unused.length > 0) {
    throw invalid(
      'chain',
      `${chainPath}: "${unused[0]!.subject}" is not part of the chain above "${certificate.subject}"; keep only its parents`,
    );
  }
  if (built.complete) {
    const root = parents[parents.length - 1]!;
    const result = await validatePath({
      leaf: certificate.der,
      intermediates: parents.slice(0, -1).map((c) => c.der),
      trustAnchors: [root.der],
      at: now,
    });
    if (!result.valid) throw invalid('chain', `${chainPath}: the chain does not validate: ${result.message}`);
  }
  return parents;
}

/** Loads and checks the sub-CA: key file mode, certificate is a CA, key matches, chain order, validity. */
export async function loadSubCa(files: SubCaFiles, now: Date): Promise<IssuingCa> {
  await assertPrivateKeyFileMode(files.keyPath);
  const [certText, keyText, chainText] = await Promise.all([
    readText('cert', files.certPath),
    readText('key', files.keyPath),
    files.chainPath === undefined ? undefined : readText('chain', files.chainPath),
  ]);
  const [certificate] = readCertificates('cert', files.certPath, certText) as [ParsedCertificate];
  assertCanSignCertificates('cert', files.certPath, certificate);

  let signingKey: CryptoKey;
  try {
    signingKey = await importPrivateKey(keyText, { passphrase: files.passphrase, extractable: true });
  } catch (cause) {
    const hint = files.passphrase === undefined ? ' (an encrypted key needs ca_key_passphrase)' : '';
    throw invalid('key', `${files.keyPath} is not a readable private key${hint}`, cause);
  }
  const privateKey = toKeyObject(signingKey);
  if (!publicKeysMatch(privateKey, certificate.spki)) {
    throw invalid(
      'key',
      `${files.keyPath} does not belong to the certificate in ${files.certPath} ("${certificate.subject}")`,
    );
  }

  const pool = files.chainPath === undefined ? [] : readCertificates('chain', files.chainPath, chainText ?? '');
  for (const parent of pool) assertCanSignCertificates('chain', files.chainPath!, parent);
  const parents = files.chainPath === undefined ? [] : await orderedParents(certificate, pool, files.chainPath, now);

  if (certificate.notAfter.getTime() <= now.getTime()) {
    throw invalid(
      'cert',
      `${files.certPath}: the CA certificate expired on ${certificate.notAfter.toISOString()}; install a renewed one`,
    );
  }
  if (certificate.notBefore.getTime() > now.getTime()) {
    throw invalid(
      'cert',
      `${files.certPath}: the CA certificate is not valid before ${certificate.notBefore.toISOString()}`,
    );
  }
  return { mode: 'sub-ca', certificate, parents, privateKey, signingKey };
}

export function subCaSource(files: SubCaFiles, clock: { now(): Date }): IssuingCaSource {
  return {
    description: `sub-CA from ${files.certPath}`,
    load: () => loadSubCa(files, clock.now()),
  };
}
