import { parse, stringify } from 'yaml';

/** Traefik's file-provider dynamic configuration for one certificate: `tls.certificates[{certFile, keyFile}]`. */
export interface TraefikTlsDynamicConfig {
  tls: { certificates: { certFile: string; keyFile: string }[] };
}

export function buildTlsDynamicConfig(certFile: string, keyFile: string): string {
  const config: TraefikTlsDynamicConfig = { tls: { certificates: [{ certFile, keyFile }] } };
  return `# Written by certctl (target-traefik); changes here are overwritten on the next deploy.\n${stringify(config)}`;
}

/** Reads a dynamic config back and returns its certificate entries; throws if it is not the documented shape. */
export function readTlsDynamicConfig(text: string): { certFile: string; keyFile: string }[] {
  const doc = parse(text, { logLevel: 'error' }) as Partial<TraefikTlsDynamicConfig> | null;
  const certificates = doc?.tls?.certificates;
  if (!Array.isArray(certificates) || certificates.length === 0) {
    throw new Error('the dynamic config has no tls.certificates list');
  }
  for (const entry of certificates) {
    if (typeof entry?.certFile !== 'string' || typeof entry?.keyFile !== 'string') {
      throw new Error('a tls.certificates entry lacks certFile or keyFile');
    }
  }
  return certificates;
}
