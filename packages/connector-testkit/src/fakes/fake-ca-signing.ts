import { x509 } from '../crypto-setup.js';
import type { TestCa } from '../test-pki.js';

export interface SignedByFakeCa {
  certificatePem: string;
  /** Lowercase hex without leading zero bytes. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
}

/** Parses a PEM CSR and checks its self-signature; undefined when it is not a valid PKCS#10 request. */
export async function readFakeCsr(
  pem: unknown,
): Promise<{ commonName?: string; dnsNames: string[]; pem: string } | undefined> {
  if (typeof pem !== 'string' || pem.length > 32_767) return undefined;
  const text = pem.includes('-----BEGIN')
    ? pem
    : `-----BEGIN CERTIFICATE REQUEST-----\n${pem}\n-----END CERTIFICATE REQUEST-----`;
  try {
    const csr = new x509.Pkcs10CertificateRequest(text);
    if (!(await csr.verify())) return undefined;
    const commonName = csr.subjectName.getField('CN')[0];
    const san = csr.getExtension('2.5.29.17') as x509.Extension | null;
    const dnsNames = san
      ? new x509.SubjectAlternativeNameExtension(san.rawData).names.items
          .filter((n) => n.type === 'dns')
          .map((n) => n.value)
      : [];
    return { commonName, dnsNames, pem: csr.toString('pem') };
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
