/**
 * The general certificate builder (@peculiar/x509 + WebCrypto): CA and leaf certificates with every
 * extension a profile can ask for. About 500 certificates/s; bulk issuance uses fast-issuer.ts.
 */
import type { KeyObject } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import { bufferSource } from './buffer-source.js';
import { type CertificateInput, parseCertificate } from './certificate.js';
import { encodeExtensions, type ExtensionOptions } from './certificate-extensions.js';
import { x509 } from './crypto-provider.js';
import { type NameInput, toX509Name } from './distinguished-name.js';
import { keyIdentifierFromSpki } from './key-identifier.js';
import type { KeyUsageName } from './key-usage.js';
import { describePublicKey, exportSpki, generateKeyPair, type KeyAlgorithmName } from './keys.js';
import { derToPem } from './pem.js';
import { randomSerialHex, serialHexFromDerContent, serialHexToDerContent } from './serial.js';
import { webCryptoSigningAlgorithm } from './signature-algorithm.js';

export interface CertificateIssuer {
  /** The issuing CA certificate. */
  certificate: CertificateInput;
  privateKey: CryptoKey;
}

export interface SignCertificateOptions
  extends Omit<ExtensionOptions, 'basicConstraints' | 'subjectKeyIdentifier' | 'authorityKeyIdentifier'> {
  subject: NameInput;
  /** The subject's public key: CryptoKey, KeyObject or SPKI DER. */
  publicKey: CryptoKey | KeyObject | Uint8Array;
  /** The issuing CA. Omit for a self-signed certificate, signed with `signingKey`. */
  issuer?: CertificateIssuer;
  /** The private key of a self-signed certificate (ignored when `issuer` is given). */
  signingKey?: CryptoKey;
  /** Hex; a fresh 128-bit random serial when omitted. */
  serialNumber?: string;
  /** Default: now. */
  notBefore?: Date;
  /** Default: notBefore + validitySeconds. */
  notAfter?: Date;
  /** Default: 90 days for a leaf, 10 years for a CA. */
  validitySeconds?: number;
  /** A CA certificate (basicConstraints cA=true, optional pathLength); leaves get cA=false. */
  ca?: boolean | { pathLength?: number };
  /** Leave out basicConstraints on a leaf (some legacy profiles). Default false. */
  omitLeafBasicConstraints?: boolean;
}

export interface SignedCertificate {
  der: Uint8Array;
  pem: string;
  /** Lowercase hex. */
  serialNumber: string;
  notBefore: Date;
  notAfter: Date;
}

const DAY = 86_400;

/** The key usages a profile gets when it names none. */
export function defaultKeyUsage(isCa: boolean, subjectKeyType: string): KeyUsageName[] {
  if (isCa) return ['digitalSignature', 'keyCertSign', 'cRLSign'];
  return subjectKeyType === 'rsa' ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
}

/** Signs a certificate: a leaf or CA under `issuer`, or a self-signed root. */
export async function signCertificate(options: SignCertificateOptions): Promise<SignedCertificate> {
  const spki = options.publicKey instanceof Uint8Array ? options.publicKey : exportSpki(options.publicKey);
  const subjectKey = describePublicKey(spki);
  const isCa = options.ca !== undefined && options.ca !== false;
  const pathLength = typeof options.ca === 'object' ? options.ca.pathLength : undefined;
  const subjectName = toX509Name(options.subject);
  const subjectKeyIdentifier = keyIdentifierFromSpki(spki);

  let issuerName: x509.Name;
  let authorityKeyIdentifier: Uint8Array;
  let signingKey: CryptoKey;
  if (options.issuer) {
    const issuer = parseCertificate(options.issuer.certificate);
    issuerName = new x509.Name(bufferSource(issuer.subjectDer));
    authorityKeyIdentifier = issuer.subjectKeyIdentifier
      ? Buffer.from(issuer.subjectKeyIdentifier, 'hex')
      : keyIdentifierFromSpki(issuer.spki);
    signingKey = options.issuer.privateKey;
  } else {
    if (!options.signingKey) {
      throw new MalformedInputError({
        inputKind: 'certificate-request',
        message: 'a self-signed certificate needs signingKey (or pass issuer)',
      });
    }
    issuerName = subjectName;
    authorityKeyIdentifier = subjectKeyIdentifier;
    signingKey = options.signingKey;
  }

  const notBefore = options.notBefore ?? new Date(Math.floor(Date.now() / 1000) * 1000);
  const validitySeconds = options.validitySeconds ?? (isCa ? 3650 * DAY : 90 * DAY);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + validitySeconds * 1000);
  if (notAfter.getTime() <= notBefore.getTime()) {
    throw new MalformedInputError({ inputKind: 'certificate-request', message: 'notAfter must be after notBefore' });
  }
  const serialHex = Buffer.from(serialHexToDerContent(options.serialNumber ?? randomSerialHex())).toString('hex');

  const extensions = encodeExtensions({
    ...options,
    basicConstraints: isCa ? { ca: true, pathLength } : options.omitLeafBasicConstraints ? undefined : { ca: false },
    keyUsage: options.keyUsage ?? defaultKeyUsage(isCa, subjectKey.type),
    subjectKeyIdentifier,
    authorityKeyIdentifier,
    sansCritical: options.sansCritical ?? (subjectName.toJSON().length === 0 && (options.sans?.length ?? 0) > 0),
  });

  const certificate = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex,
    subject: subjectName,
    issuer: issuerName,
    notBefore,
    notAfter,
    publicKey: bufferSource(spki),
    signingKey,
    signingAlgorithm: webCryptoSigningAlgorithm(signingKey),
    extensions: extensions.map((e) => new x509.Extension(e.oid, e.critical ?? false, bufferSource(e.value))),
  });
  const der = new Uint8Array(certificate.rawData);
  return {
    der,
    pem: derToPem(der, 'CERTIFICATE'),
    serialNumber: serialHexFromDerContent(Buffer.from(serialHex, 'hex')),
    notBefore,
    notAfter,
  };
}

export interface CreateCertificateAuthorityOptions {
  subject: NameInput;
  /** Default ecdsa-p256. */
  keyAlgorithm?: KeyAlgorithmName;
  /** Omit for a self-signed root. */
  issuer?: CertificateIssuer;
  pathLength?: number;
  nameConstraints?: ExtensionOptions['nameConstraints'];
  notBefore?: Date;
  notAfter?: Date;
  validitySeconds?: number;
  crlDistributionPoints?: string[];
  ocspUrls?: string[];
  caIssuersUrls?: string[];
}

export interface CertificateAuthority {
  certificate: SignedCertificate;
  keys: CryptoKeyPair;
}

/** A fresh key pair and its CA certificate: a root when no issuer is given, an intermediate otherwise. */
export async function createCertificateAuthority(
  options: CreateCertificateAuthorityOptions,
): Promise<CertificateAuthority> {
  const keys = await generateKeyPair({ algorithm: options.keyAlgorithm ?? 'ecdsa-p256' });
  const { keyAlgorithm: _ignored, pathLength, ...rest } = options;
  const certificate = await signCertificate({
    ...rest,
    publicKey: keys.publicKey,
    signingKey: keys.privateKey,
    ca: { pathLength },
  });
  return { certificate, keys };
}
