import { createHash, randomBytes, X509Certificate } from 'node:crypto';
import type { DeployRequest, IssueRequest } from '@certctl/core';
import { exportPrivateKeyPem, generateKeyPair, type KeyAlgorithmName } from '@certctl/pki';
import { x509 } from './crypto-setup.js';

export interface TestSans {
  dns?: string[];
  ip?: string[];
  email?: string[];
  uri?: string[];
}

export interface TestCsr {
  csrPem: string;
  /** PKCS#8 PEM of the key behind the CSR (the issuer never sees it). */
  privateKeyPem: string;
  /** SubjectPublicKeyInfo DER of the CSR's key, for comparing with the issued certificate. */
  publicKeySpki: Uint8Array;
  commonName: string;
  sans: Required<TestSans>;
}

export interface CreateTestCsrOptions {
  commonName?: string;
  sans?: TestSans;
  algorithm?: KeyAlgorithmName;
}

export type CsrFactory = (options: CreateTestCsrOptions) => Promise<TestCsr>;

const SIGNING: Record<string, Algorithm | EcdsaParams> = {
  ECDSA: { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  'RSASSA-PKCS1-v1_5': { name: 'RSASSA-PKCS1-v1_5' },
  Ed25519: { name: 'Ed25519' },
};

function signingAlgorithm(key: CryptoKey): Algorithm {
  const algorithm = SIGNING[key.algorithm.name];
  if (!algorithm) throw new Error(`no signing algorithm for ${key.algorithm.name} keys`);
  return algorithm;
}

function fullSans(sans: TestSans | undefined, commonName: string): Required<TestSans> {
  return { dns: sans?.dns ?? [commonName], ip: sans?.ip ?? [], email: sans?.email ?? [], uri: sans?.uri ?? [] };
}

function generalNames(sans: Required<TestSans>): x509.JsonGeneralName[] {
  return [
    ...sans.dns.map((value) => ({ type: 'dns' as const, value })),
    ...sans.ip.map((value) => ({ type: 'ip' as const, value })),
    ...sans.email.map((value) => ({ type: 'email' as const, value })),
    ...sans.uri.map((value) => ({ type: 'url' as const, value })),
  ];
}

/** A fresh key and a PKCS#10 request for it (ECDSA P-256 unless told otherwise). */
export async function createTestCsr(options: CreateTestCsrOptions = {}): Promise<TestCsr> {
  const commonName = options.commonName ?? 'conformance.example.test';
  const sans = fullSans(options.sans, commonName);
  const keys = await generateKeyPair({ algorithm: options.algorithm ?? 'ecdsa-p256' });
  const names = generalNames(sans);
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: `CN=${commonName}`,
    keys,
    signingAlgorithm: signingAlgorithm(keys.privateKey),
    extensions: names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : [],
  });
  return {
    csrPem: csr.toString('pem'),
    privateKeyPem: exportPrivateKeyPem(keys.privateKey),
    publicKeySpki: new Uint8Array(csr.publicKey.rawData),
    commonName,
    sans,
  };
}

/** An IssueRequest around a test CSR, with the defaults a platform would send. */
export function issueRequestFor(csr: TestCsr, overrides: Partial<IssueRequest> = {}): IssueRequest {
  return {
    csrPem: csr.csrPem,
    commonName: csr.commonName,
    sans: { dns: [...csr.sans.dns], ip: [...csr.sans.ip], email: [...csr.sans.email], uri: [...csr.sans.uri] },
    extKeyUsages: ['serverAuth'],
    mustStaple: false,
    requestId: `conformance-${randomBytes(6).toString('hex')}`,
    metadata: { source: 'connector-testkit' },
    ...overrides,
  };
}

/** Lowercase hex without leading zero bytes: the form the contract uses for serials. */
export function normalizeSerial(serial: string): string {
  let hex = serial.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (hex.length % 2 === 1) hex = `0${hex}`;
  while (hex.length > 2 && hex.startsWith('00')) hex = hex.slice(2);
  return hex;
}

/** A positive random serial (16 bytes, high bit clear), as lowercase hex. */
export function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x10;
  return bytes.toString('hex');
}

/** SHA-256 of the certificate's DER, lowercase hex. */
export function fingerprintSha256(certificatePem: string): string {
  return createHash('sha256').update(new X509Certificate(certificatePem).raw).digest('hex');
}

export interface TestLeaf {
  certificatePem: string;
  privateKeyPem: string;
  /** Issuing CA first. */
  chainPem: string[];
  serial: string;
  fingerprintSha256: string;
  notBefore: Date;
  notAfter: Date;
}

export interface IssueTestLeafOptions {
  commonName?: string;
  sans?: TestSans;
  /** Validity in seconds from `notBefore`; default 30 days. */
  validitySeconds?: number;
  notBefore?: Date;
  /** Sign this public key (SPKI DER or a CSR's PEM) instead of generating a key. */
  csrPem?: string;
  serial?: string;
  extKeyUsages?: ('serverAuth' | 'clientAuth')[];
}

export interface TestCa {
  certificatePem: string;
  privateKeyPem: string;
  keys: CryptoKeyPair;
  name: string;
  issue(options?: IssueTestLeafOptions): Promise<TestLeaf>;
}

const EKU_OIDS = { serverAuth: '1.3.6.1.5.5.7.3.1', clientAuth: '1.3.6.1.5.5.7.3.2' } as const;

/** A self-signed CA (ECDSA P-256) that issues leaves for tests: TLS for fakes, certificates to deploy. */
export async function createTestCa(options: { commonName?: string; now?: Date } = {}): Promise<TestCa> {
  const name = `CN=${options.commonName ?? 'certctl connector-testkit CA'}, O=certctl tests`;
  const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
  const now = options.now ?? new Date();
  const caCert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name,
    notBefore: new Date(now.getTime() - 3_600_000),
    notAfter: new Date(now.getTime() + 10 * 365 * 86_400_000),
    keys,
    signingAlgorithm: signingAlgorithm(keys.privateKey),
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const certificatePem = caCert.toString('pem');
  const issue = async (leaf: IssueTestLeafOptions = {}): Promise<TestLeaf> => {
    const commonName = leaf.commonName ?? 'target.example.test';
    let publicKey: CryptoKey | x509.PublicKey;
    let privateKeyPem = '';
    if (leaf.csrPem) {
      publicKey = new x509.Pkcs10CertificateRequest(leaf.csrPem).publicKey;
    } else {
      const leafKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
      publicKey = leafKeys.publicKey;
      privateKeyPem = exportPrivateKeyPem(leafKeys.privateKey);
    }
    const notBefore = leaf.notBefore ?? new Date(Date.now() - 60_000);
    const notAfter = new Date(notBefore.getTime() + (leaf.validitySeconds ?? 30 * 86_400) * 1000);
    const serial = leaf.serial ?? randomSerial();
    const names = generalNames(fullSans(leaf.sans, commonName));
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject: `CN=${commonName}`,
      issuer: caCert.subject,
      notBefore,
      notAfter,
      publicKey,
      signingKey: keys.privateKey,
      signingAlgorithm: signingAlgorithm(keys.privateKey),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension((leaf.extKeyUsages ?? ['serverAuth', 'clientAuth']).map((u) => EKU_OIDS[u])),
        new x509.SubjectAlternativeNameExtension(names),
        await x509.AuthorityKeyIdentifierExtension.create(caCert, false),
      ],
    });
    const pem = cert.toString('pem');
    return {
      certificatePem: pem,
      privateKeyPem,
      chainPem: [certificatePem],
      serial: normalizeSerial(cert.serialNumber),
      fingerprintSha256: fingerprintSha256(pem),
      notBefore: cert.notBefore,
      notAfter: cert.notAfter,
    };
  };
  return { certificatePem, privateKeyPem: exportPrivateKeyPem(keys.privateKey), keys, name, issue };
}

let sharedCa: Promise<TestCa> | undefined;

/** One CA per process for deploy fixtures (keygen is cheap, but certificates from one CA chain together). */
export function sharedTestCa(): Promise<TestCa> {
  sharedCa ??= createTestCa();
  return sharedCa;
}

/** A complete DeployRequest: a fresh leaf, its key and chain from the shared test CA. */
export async function createTestDeployRequest(
  options: IssueTestLeafOptions & { metadata?: Record<string, string> } = {},
): Promise<DeployRequest> {
  const leaf = await (await sharedTestCa()).issue(options);
  return {
    certPem: leaf.certificatePem,
    chainPem: leaf.chainPem.join(''),
    keyPem: leaf.privateKeyPem,
    serial: leaf.serial,
    fingerprintSha256: leaf.fingerprintSha256,
    metadata: options.metadata ?? { source: 'connector-testkit' },
  };
}
