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
  /**
   * Re-reads the file now, whatever its size and mtime say, and swaps it in when it parses; the
   * error says why it was not taken (the previous bundle stays in effect).
   */
  reload(): { certificates: ParsedCertificate[]; error: string | null };
}

/** Which protocol's enrolment routes use a bundle, and for what. */
export interface LiveTrustBundle {
  protocol: 'est' | 'scep';
  purpose: 'mtls_client_ca' | 'intune_connector';
  /** The EST or SCEP profile (path segment, '' for the default). */
  profile: string;
  bundle: TrustBundle;
}

/**
 * The bundles the running server's enrolment routes use, registered by the features that loaded
 * them, so an admin reload swaps the very objects those routes read.
 */
export interface LiveTrustBundles {
  add(entry: LiveTrustBundle): void;
  of(protocol: LiveTrustBundle['protocol']): LiveTrustBundle[];
}

export function createLiveTrustBundles(): LiveTrustBundles {
  const entries: LiveTrustBundle[] = [];
  return {
    add: (entry) => void entries.push(entry),
    of: (protocol) => entries.filter((e) => e.protocol === protocol),
  };
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
    reload() {
      try {
        const next = statSync(path);
        certificates = readBundle(path);
        stamp = next;
        return { certificates, error: null };
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        onReloadError(`${label} ${path} could not be reloaded; keeping the previous one: ${reason}`);
        return { certificates, error: reason };
      }
    },
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
