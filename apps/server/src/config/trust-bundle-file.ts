import { readFileSync, statSync } from 'node:fs';
import { type ParsedCertificate, parseCertificateBundle } from '@certctl/pki';

/**
 * Certificates an operator trusts for one purpose (EST client CAs, Intune Connector signing
 * certificates), read from a PEM file. Every use asks for it; the file is re-read when its size or
 * mtime changes, so operators rotate it without a restart. A rotation that does not parse keeps the
 * previous bundle (and is reported).
 */
export interface TrustBundle {
  readonly path: string;
  current(): ParsedCertificate[];
}

function readBundle(path: string): ParsedCertificate[] {
  const certificates = parseCertificateBundle(readFileSync(path, 'utf8'));
  if (certificates.length === 0) throw new Error(`${path} holds no PEM certificate`);
  const now = Date.now();
  if (certificates.every((c) => c.notAfter.getTime() < now))
    throw new Error(`every certificate in ${path} has expired`);
  return certificates;
}

/** Preflight: a missing, empty, unreadable or wholly expired bundle throws (the server refuses to start). */
export function loadTrustBundle(path: string, label: string, onReloadError: (message: string) => void): TrustBundle {
  let certificates = readBundle(path);
  let stamp = statSync(path);
  return {
    path,
    current() {
      try {
        const next = statSync(path);
        if (next.mtimeMs !== stamp.mtimeMs || next.size !== stamp.size) {
          stamp = next;
          certificates = readBundle(path);
        }
      } catch (error) {
        onReloadError(
          `${label} ${path} could not be reloaded; keeping the previous one: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
      return certificates;
    },
  };
}
