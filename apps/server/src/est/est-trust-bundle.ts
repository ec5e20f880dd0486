import { readFileSync, statSync } from 'node:fs';
import { type ParsedCertificate, parseCertificateBundle } from '@certctl/pki';

/**
 * The CAs that may sign a profile's client certificates, read from a PEM file. Every request asks
 * for it; the file is re-read when its size or mtime changes, so operators rotate it without a
 * restart. A rotation that does not parse keeps the previous bundle (and is logged).
 */
export interface TrustBundle {
  current(): ParsedCertificate[];
}

function readBundle(path: string): ParsedCertificate[] {
  const certificates = parseCertificateBundle(readFileSync(path, 'utf8'));
  if (certificates.length === 0) throw new Error(`${path} holds no PEM certificate`);
  const now = Date.now();
  if (certificates.every((c) => c.notAfter.getTime() < now)) throw new Error(`every certificate in ${path} has expired`);
  return certificates;
}

export function loadTrustBundle(path: string, onReloadError: (message: string) => void): TrustBundle {
  // Preflight: a missing, empty or unreadable bundle stops the server at start.
  let certificates = readBundle(path);
  let stamp = statSync(path);
  return {
    current() {
      try {
        const next = statSync(path);
        if (next.mtimeMs !== stamp.mtimeMs || next.size !== stamp.size) {
          stamp = next;
          certificates = readBundle(path);
        }
      } catch (error) {
        onReloadError(`EST trust bundle ${path} could not be reloaded; keeping the previous one: ${error instanceof Error ? error.message : String(error)}`);
      }
      return certificates;
    },
  };
}
