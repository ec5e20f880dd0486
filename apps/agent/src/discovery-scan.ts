import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { certificateFingerprint, derToPem, readCertificateSummary, splitPemBundle } from '@certctl/pki';

export interface FoundCertificate {
  path: string;
  certificatePem: string;
  fingerprintSha256: string;
}

export interface ScanResult {
  certificates: FoundCertificate[];
  errors: { path: string; error: string }[];
  durationMs: number;
}

const CERTIFICATE_LABELS = new Set(['CERTIFICATE', 'X509 CERTIFICATE', 'TRUSTED CERTIFICATE']);
/** Larger files are not certificates or bundles anyone deploys. */
const MAX_FILE_BYTES = 1024 * 1024;
const MAX_DEPTH = 16;

/** Certificates in one file's bytes: every CERTIFICATE block of PEM text (keys and other blocks skipped), or a whole DER certificate. */
export function certificatesIn(bytes: Uint8Array): Uint8Array[] {
  const text = Buffer.from(bytes).toString('latin1');
  if (text.includes('-----BEGIN ')) {
    const out: Uint8Array[] = [];
    for (const block of splitPemBundle(text)) {
      if (!CERTIFICATE_LABELS.has(block.label)) continue;
      try {
        out.push(readCertificateSummary(block.der).der);
      } catch {
        // A damaged block among good ones: skip it, keep the rest of the bundle.
      }
    }
    return out;
  }
  if (bytes[0] !== 0x30) return [];
  try {
    return [readCertificateSummary(bytes).der];
  } catch {
    return [];
  }
}

/**
 * Walks the directories (symlinks are not followed, so no loops and no escaping the tree) and
 * returns every certificate found in PEM files, bundles and DER files. Private keys are never read
 * into the result: only CERTIFICATE blocks and DER that parses as a certificate are kept, re-encoded.
 */
export async function scanDirectories(
  directories: readonly string[],
  options: { signal?: AbortSignal; exclude?: readonly string[] } = {},
): Promise<ScanResult> {
  const started = Date.now();
  const certificates: FoundCertificate[] = [];
  const errors: { path: string; error: string }[] = [];
  const excluded = new Set(options.exclude ?? []);

  const visit = async (path: string, depth: number): Promise<void> => {
    if (options.signal?.aborted || excluded.has(path)) return;
    let info: Awaited<ReturnType<typeof lstat>>;
    try {
      info = await lstat(path);
    } catch (error) {
      errors.push({ path, error: (error as NodeJS.ErrnoException).code ?? 'cannot stat' });
      return;
    }
    if (info.isDirectory()) {
      if (depth > MAX_DEPTH) return;
      let names: string[];
      try {
        names = await readdir(path);
      } catch (error) {
        errors.push({ path, error: (error as NodeJS.ErrnoException).code ?? 'cannot list' });
        return;
      }
      for (const name of names.sort()) await visit(join(path, name), depth + 1);
      return;
    }
    if (!info.isFile() || info.size === 0 || info.size > MAX_FILE_BYTES) return;
    let bytes: Uint8Array;
    try {
      bytes = await readFile(path);
    } catch (error) {
      errors.push({ path, error: (error as NodeJS.ErrnoException).code ?? 'cannot read' });
      return;
    }
    let found: Uint8Array[];
    try {
      found = certificatesIn(bytes);
    } catch {
      errors.push({ path, error: 'malformed PEM' });
      return;
    }
    for (const der of found) {
      certificates.push({
        path,
        certificatePem: derToPem(der, 'CERTIFICATE'),
        fingerprintSha256: certificateFingerprint(der).hex,
      });
    }
  };

  for (const dir of directories) await visit(dir, 0);
  return { certificates, errors, durationMs: Date.now() - started };
}
