/** Whether a private key belongs to a certificate: its public half must equal the certificate's SPKI. */
import type { KeyObject } from 'node:crypto';
import { exportSpki } from '@certctl/pki';

export function publicKeysMatch(privateKey: KeyObject, certificateSpki: Uint8Array): boolean {
  return Buffer.from(exportSpki(privateKey)).equals(Buffer.from(certificateSpki));
}
