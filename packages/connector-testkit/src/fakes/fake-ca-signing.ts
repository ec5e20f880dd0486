/**
 * What commercial-CA fakes share: signing a CSR with a per-run test CA (so `openssl verify` accepts
 * what the fake returns), and client certificates for mTLS that the fake then verifies.
 */
import { parseCsr, verifyCsrSignature } from '@certctl/pki';
import type { TestCa, TestLeaf } from '../test-pki.js';

export interface CsrSigningOptions {
  /** Validity from now; the CA may cap it. */
  validitySeconds: number;
  /** SANs to certify instead of the CSR's (vendors that take SANs in the request body). */
  dns?: string[];
  ip?: string[];
  /** Serial to give the certificate (lowercase hex); random when absent. */
  serial?: string;
}

export type CsrSigningResult =
  | { ok: true; leaf: TestLeaf; commonName: string; dns: string[] }
  | { ok: false; problem: string };

/** Accepts PEM, or base64 DER without armour (several vendor APIs take the CSR that way). */
export function normaliseCsrPem(csr: string): string {
  const trimmed = csr.trim();
  if (trimmed.startsWith('-----BEGIN')) return `${trimmed}\n`;
  const body = trimmed.replace(/\s+/g, '');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${body.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE REQUEST-----\n`;
}

/** Checks the CSR (parses, self-signature verifies) and signs its key; `problem` says what a CA would refuse. */
export async function signCsr(ca: TestCa, csr: string, options: CsrSigningOptions): Promise<CsrSigningResult> {
  let parsed: ReturnType<typeof parseCsr>;
  const pem = normaliseCsrPem(csr);
  try {
    parsed = parseCsr(pem);
  } catch {
    return { ok: false, problem: 'The CSR could not be decoded' };
  }
  if (!(await verifyCsrSignature(parsed.der))) return { ok: false, problem: 'The CSR signature is invalid' };
  const csrDns = parsed.sans.filter((n) => n.type === 'dns').map((n) => n.value);
  const csrIp = parsed.sans.filter((n) => n.type === 'ip').map((n) => n.value);
  const commonName = parsed.commonName ?? options.dns?.[0] ?? csrDns[0];
  if (!commonName) return { ok: false, problem: 'The CSR has neither a common name nor a DNS name' };
  const dns = options.dns && options.dns.length > 0 ? options.dns : csrDns.length > 0 ? csrDns : [commonName];
  const leaf = await ca.issue({
    csrPem: pem,
    commonName,
    sans: { dns, ip: options.ip ?? csrIp },
    validitySeconds: Math.max(60, Math.floor(options.validitySeconds)),
    extKeyUsages: ['serverAuth', 'clientAuth'],
    ...(options.serial ? { serial: options.serial } : {}),
  });
  return { ok: true, leaf, commonName, dns };
}

export interface ClientCredential {
  certificatePem: string;
  privateKeyPem: string;
  /** `CN=<name>`, as the fake sees it in the handshake. */
  subject: string;
  /** SHA-256 fingerprint, lowercase hex. */
  fingerprint: string;
}

/** A client-auth certificate and key from `ca`, for a fake that verifies client certificates. */
export async function issueClientCredential(ca: TestCa, commonName: string): Promise<ClientCredential> {
  const leaf = await ca.issue({ commonName, sans: { dns: [commonName] }, extKeyUsages: ['clientAuth'] });
  return {
    certificatePem: leaf.certificatePem,
    privateKeyPem: leaf.privateKeyPem,
    subject: `CN=${commonName}`,
    fingerprint: leaf.fingerprintSha256,
  };
}

/** `AB:CD:...` (Node's peer certificate form) to lowercase hex. */
export function fingerprintHex(colonHex: string): string {
  return colonHex.replace(/:/g, '').toLowerCase();
}

export interface SignedByFakeCa {
  certificatePem: string;
  /** Lowercase hex without leading zero bytes. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** Parses a CSR (PEM or bare base64 DER) and checks its self-signature; undefined when it is not a valid PKCS#10 request. */
export async function readFakeCsr(
  csr: unknown,
): Promise<{ commonName?: string; dnsNames: string[]; pem: string } | undefined> {
  if (typeof csr !== 'string' || csr.length > 32_767) return undefined;
  const pem = normaliseCsrPem(csr);
  try {
    const parsed = parseCsr(pem);
    if (!(await verifyCsrSignature(parsed.der))) return undefined;
    const dnsNames = parsed.sans.filter((n) => n.type === 'dns').map((n) => n.value);
    return { commonName: parsed.commonName, dnsNames, pem };
  } catch {
    return undefined;
  }
}

/** Signs a CSR's key with the fake's test CA: a real certificate `openssl verify` accepts against the CA. */
export async function signForFakeCa(
  ca: TestCa,
  options: { csrPem?: string; commonName: string; dnsNames: string[]; validityDays: number; notBefore?: Date },
): Promise<SignedByFakeCa> {
  const leaf = await ca.issue({
    csrPem: options.csrPem,
    commonName: options.commonName,
    sans: { dns: options.dnsNames.length > 0 ? options.dnsNames : [options.commonName] },
    validitySeconds: options.validityDays * 86_400,
    notBefore: options.notBefore,
    extKeyUsages: ['serverAuth', 'clientAuth'],
  });
  return {
    certificatePem: leaf.certificatePem,
    serial: leaf.serial,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
  };
}

/** PEM blocks one after the other, each ending with a newline, as the CAs send them. */
export function pemLines(...pems: string[]): string {
  return pems.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
}
