/**
 * Certificates inside a secret's value, for the cloud secret-store discovery sources: PEM text (also
 * PEM inside a JSON object's string fields), DER, and PKCS#12 (without a password or with the one
 * configured). Only certificates come out; a private key found beside them is never returned.
 */
import { MalformedInputError } from '@certctl/core';
import {
  certificateFingerprint,
  type ParsedCertificate,
  parseCertificate,
  parsePkcs12,
  splitPemBundle,
} from '@certctl/pki';

export type SecretCertificateFormat = 'pem' | 'der' | 'pkcs12';

export interface SecretCertificate {
  /** DER of the certificate. */
  der: Uint8Array;
  format: SecretCertificateFormat;
  /** Position in the secret (0 = the first certificate, usually the leaf). */
  position: number;
  /** Facts about the certificate, as strings: subject, issuer, serial, validity, fingerprint, SANs. */
  metadata: Record<string, string>;
}

export interface SecretCertificatesResult {
  certificates: SecretCertificate[];
  /** Why a secret that looked like a certificate container yielded nothing (e.g. a PKCS#12 whose password is unknown). */
  unreadable?: string;
}

export interface FindSecretCertificatesOptions {
  /** Tried after the empty password on PKCS#12 content. */
  pkcs12Password?: string;
}

const BASE64 = /^[A-Za-z0-9+/\r\n]+={0,2}\s*$/;
const PEM_CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);

/** Metadata the discovery pipeline shows for a certificate: every value a string. */
export function certificateMetadata(certificate: ParsedCertificate): Record<string, string> {
  const dns = certificate.sans.flatMap((name) => (name.type === 'dns' ? [name.value] : []));
  const ips = certificate.sans.flatMap((name) => (name.type === 'ip' ? [name.value] : []));
  const key = certificate.publicKey;
  return {
    subject: certificate.subject,
    ...(certificate.subjectCommonName ? { common_name: certificate.subjectCommonName } : {}),
    issuer: certificate.issuer,
    serial_number: certificate.serialNumber,
    not_before: certificate.notBefore.toISOString(),
    not_after: certificate.notAfter.toISOString(),
    fingerprint_sha256: certificateFingerprint(certificate.der).hex,
    key_algorithm: key.curve ? `${key.type}-${key.curve}` : `${key.type}-${key.bits}`,
    ...(dns.length > 0 ? { dns_names: dns.join(',') } : {}),
    ...(ips.length > 0 ? { ip_addresses: ips.join(',') } : {}),
    is_ca: String(certificate.basicConstraints?.ca === true),
  };
}

function fromDerList(ders: readonly Uint8Array[], format: SecretCertificateFormat): SecretCertificate[] {
  const out: SecretCertificate[] = [];
  for (const der of ders) {
    let parsed: ParsedCertificate;
    try {
      parsed = parseCertificate(der);
    } catch {
      continue;
    }
    out.push({ der: parsed.der, format, position: out.length, metadata: certificateMetadata(parsed) });
  }
  return out;
}

function fromPemText(text: string): SecretCertificate[] {
  let blocks: ReturnType<typeof splitPemBundle>;
  try {
    blocks = splitPemBundle(text);
  } catch {
    return [];
  }
  return fromDerList(
    blocks.filter((block) => PEM_CERTIFICATE_LABELS.has(block.label)).map((block) => block.der),
    'pem',
  );
}

function isDerCertificate(bytes: Uint8Array): boolean {
  try {
    parseCertificate(bytes);
    return true;
  } catch {
    return false;
  }
}

function fromPkcs12(bytes: Uint8Array, options: FindSecretCertificatesOptions): SecretCertificatesResult {
  const passwords = ['', ...(options.pkcs12Password ? [options.pkcs12Password] : [])];
  let sawPkcs12 = false;
  for (const password of passwords) {
    try {
      const parsed = parsePkcs12(bytes, password);
      // The key is dropped here and its bytes overwritten: discovery reports certificates only.
      parsed.privateKeyPkcs8?.fill(0);
      return { certificates: fromDerList(parsed.certificates, 'pkcs12') };
    } catch (error) {
      if (!MalformedInputError.isInstance(error)) throw error;
      if (/wrong password/.test(error.message)) sawPkcs12 = true;
      else return { certificates: [] };
    }
  }
  return {
    certificates: [],
    unreadable: sawPkcs12
      ? options.pkcs12Password
        ? 'PKCS#12 content does not open with an empty password or the configured pkcs12_password'
        : 'PKCS#12 content needs a password: set pkcs12_password'
      : undefined,
  };
}

function fromBytes(bytes: Uint8Array, options: FindSecretCertificatesOptions): SecretCertificatesResult {
  if (bytes.length === 0) return { certificates: [] };
  // Not a DER SEQUENCE: text stored as bytes (PEM, JSON, base64).
  if (bytes[0] !== 0x30) return fromText(Buffer.from(bytes).toString('utf8'), options);
  if (isDerCertificate(bytes)) return { certificates: fromDerList([bytes], 'der') };
  return fromPkcs12(bytes, options);
}

function fromJson(value: unknown, options: FindSecretCertificatesOptions, depth = 0): SecretCertificatesResult {
  const certificates: SecretCertificate[] = [];
  let unreadable: string | undefined;
  const strings: string[] = [];
  const walk = (node: unknown, level: number) => {
    if (level > 4) return;
    if (typeof node === 'string') strings.push(node);
    else if (Array.isArray(node)) for (const item of node) walk(item, level + 1);
    else if (node && typeof node === 'object') for (const item of Object.values(node)) walk(item, level + 1);
  };
  walk(value, depth);
  for (const text of strings) {
    const found = fromText(text, options, false);
    for (const certificate of found.certificates) certificates.push({ ...certificate, position: certificates.length });
    unreadable ??= found.unreadable;
  }
  return certificates.length > 0 ? { certificates } : { certificates, unreadable };
}

function fromText(text: string, options: FindSecretCertificatesOptions, allowJson = true): SecretCertificatesResult {
  const trimmed = text.trim();
  if (allowJson && trimmed.startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(trimmed);
    } catch {
      return { certificates: [] };
    }
    return fromJson(parsed, options);
  }
  if (trimmed.includes('-----BEGIN')) return { certificates: fromPemText(trimmed) };
  // Binary content stored as base64 text (a DER certificate or a .p12 pasted into a text secret).
  if (trimmed.length >= 64 && BASE64.test(trimmed)) {
    const bytes = Buffer.from(trimmed, 'base64');
    if (bytes[0] === 0x30) return fromBytes(new Uint8Array(bytes), options);
  }
  return { certificates: [] };
}

/**
 * The certificates in a secret value: text (PEM, JSON with PEM fields, base64 DER or PKCS#12) or
 * bytes (DER, PKCS#12, PEM). Content that is not a certificate yields none; it is not an error.
 */
export function findSecretCertificates(
  value: string | Uint8Array,
  options: FindSecretCertificatesOptions = {},
): SecretCertificatesResult {
  return typeof value === 'string' ? fromText(value, options) : fromBytes(value, options);
}
