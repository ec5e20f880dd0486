import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { readCertificateSummary, splitPemBundle } from '@certctl/pki';

export interface DeployedCertificateCheck {
  valid: boolean;
  /** Serial of the first certificate in the file (lowercase hex), when one was found. */
  observedSerial?: string;
  detail: string;
}

/** Lowercase hex without separators or leading zero bytes: how the contract writes serials. */
function canonicalSerial(serial: string): string {
  let hex = serial.toLowerCase().replace(/[^0-9a-f]/g, '');
  if (hex.length % 2 === 1) hex = `0${hex}`;
  while (hex.length > 2 && hex.startsWith('00')) hex = hex.slice(2);
  return hex;
}

/**
 * Reads the first certificate of a PEM file a target deployed (a fullchain or a combined PEM) and says
 * whether it is the expected one: same serial and, when given, same SHA-256 fingerprint. A missing or
 * unreadable file is `valid: false` with the reason, not an error.
 */
export async function checkDeployedCertificate(
  path: string,
  expected: { serial: string; fingerprintSha256?: string },
): Promise<DeployedCertificateCheck> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { valid: false, detail: `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` };
  }
  let serial: string;
  let fingerprint: string;
  try {
    const block = splitPemBundle(text).find((b) => b.label === 'CERTIFICATE');
    if (!block) return { valid: false, detail: `${path} holds no certificate` };
    const summary = readCertificateSummary(block.der);
    serial = canonicalSerial(summary.serialNumber);
    fingerprint = createHash('sha256').update(summary.der).digest('hex');
  } catch {
    return { valid: false, detail: `${path} does not hold a readable PEM certificate` };
  }
  const wanted = canonicalSerial(expected.serial);
  if (serial !== wanted) {
    return { valid: false, observedSerial: serial, detail: `${path} holds serial ${serial}, not ${wanted}` };
  }
  if (expected.fingerprintSha256 && fingerprint !== expected.fingerprintSha256.toLowerCase().replace(/:/g, '')) {
    return {
      valid: false,
      observedSerial: serial,
      detail: `${path} holds serial ${serial} but a different certificate (SHA-256 ${fingerprint})`,
    };
  }
  return { valid: true, observedSerial: serial, detail: `${path} holds serial ${serial}` };
}
