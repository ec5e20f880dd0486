import { readFile } from 'node:fs/promises';
import { certificateFingerprint, readCertificateSummary, splitPemBundle } from '@certctl/pki';

export interface DeployedCertificate {
  /** Lowercase hex, leading zero bytes stripped (the contract's form). */
  serial: string;
  fingerprintSha256: string;
  notAfter: Date;
}

/** The first certificate of a PEM file (the leaf of a fullchain), or undefined when the file does not exist. */
export async function readDeployedCertificate(path: string): Promise<DeployedCertificate | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return describeLeaf(text);
}

/** Serial and fingerprint of the first CERTIFICATE block in `pem`, or undefined when it holds none. */
export function describeLeaf(pem: string): DeployedCertificate | undefined {
  const block = splitPemBundle(pem).find((b) => b.label === 'CERTIFICATE');
  if (!block) return undefined;
  const summary = readCertificateSummary(block.der);
  return {
    serial: summary.serialNumber,
    fingerprintSha256: certificateFingerprint(block.der).hex,
    notAfter: summary.notAfter,
  };
}

/** Whether what is deployed is the certificate asked about: same serial (any case, colons or leading zeros) and, when given, the same fingerprint. */
export function isSameCertificate(
  deployed: DeployedCertificate | undefined,
  wanted: { serial: string; fingerprintSha256?: string },
): boolean {
  if (!deployed) return false;
  const hex = (text: string) => text.toLowerCase().replace(/[^0-9a-f]/g, '');
  const serial = (text: string) => hex(text).replace(/^0+(?=.)/, '');
  if (serial(deployed.serial) !== serial(wanted.serial)) return false;
  return wanted.fingerprintSha256 === undefined || hex(wanted.fingerprintSha256) === hex(deployed.fingerprintSha256);
}

export interface DeployedCertificateCheck {
  valid: boolean;
  /** Serial of the first certificate in the file (lowercase hex), when one was found. */
  observedSerial?: string;
  detail: string;
}

/**
 * A file-based target's `validateDeployment`: reads the first certificate of the PEM file it deployed
 * (a fullchain or a combined PEM with the key after it) and says whether it is the expected one (same
 * serial and, when given, same SHA-256 fingerprint). A missing or unreadable file is `valid: false`
 * with the reason, never an error.
 */
export async function checkDeployedCertificate(
  path: string,
  expected: { serial: string; fingerprintSha256?: string },
): Promise<DeployedCertificateCheck> {
  let deployed: DeployedCertificate | undefined;
  try {
    deployed = await readDeployedCertificate(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      valid: false,
      detail: code ? `cannot read ${path}: ${code}` : `${path} does not hold a readable PEM certificate`,
    };
  }
  if (!deployed) return { valid: false, detail: `${path} does not exist or holds no certificate` };
  const observedSerial = deployed.serial;
  if (!isSameCertificate(deployed, { serial: expected.serial })) {
    return { valid: false, observedSerial, detail: `${path} holds serial ${observedSerial}, not ${expected.serial}` };
  }
  if (!isSameCertificate(deployed, expected)) {
    return {
      valid: false,
      observedSerial,
      detail: `${path} holds serial ${observedSerial} but a different certificate (SHA-256 ${deployed.fingerprintSha256})`,
    };
  }
  return { valid: true, observedSerial, detail: `${path} holds serial ${observedSerial}` };
}
