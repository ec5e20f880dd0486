import { x509 } from '../crypto-setup.js';
import type { TestCa, TestLeaf } from '../test-pki.js';

export interface CsrContents {
  commonName: string;
  dns: string[];
  ip: string[];
}

/** The subject CN and SANs of a PEM CSR whose signature verifies, or undefined for anything else. */
export async function readCsr(csrPem: string): Promise<CsrContents | undefined> {
  try {
    const csr = new x509.Pkcs10CertificateRequest(csrPem);
    if (!(await csr.verify())) return undefined;
    const commonName = csr.subjectName.getField('CN')[0] ?? '';
    const san = csr.getExtension('2.5.29.17');
    const names = san ? new x509.SubjectAlternativeNameExtension(san.rawData).names.toJSON() : [];
    return {
      commonName,
      dns: names.filter((n) => n.type === 'dns').map((n) => n.value),
      ip: names.filter((n) => n.type === 'ip').map((n) => n.value),
    };
  } catch {
    return undefined;
  }
}

/** What a vendor fake's CA signs for a CSR: its key, its CN and SANs (the CN added as a DNS SAN). */
export async function signCsr(
  ca: TestCa,
  csrPem: string,
  contents: CsrContents,
  validity: { notBefore: Date; validitySeconds: number },
): Promise<TestLeaf> {
  const dns = contents.dns.length > 0 || !contents.commonName ? contents.dns : [contents.commonName];
  return ca.issue({
    csrPem,
    commonName: contents.commonName || dns[0] || 'unnamed',
    sans: { dns, ip: contents.ip },
    notBefore: validity.notBefore,
    validitySeconds: validity.validitySeconds,
  });
}
