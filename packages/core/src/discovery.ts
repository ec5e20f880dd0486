import type { ConnectionTestResult } from './issuer.js';

export interface DiscoveredCertificate {
  /** DER bytes or PEM text of the certificate (never a private key). */
  certificate: Uint8Array | string;
  /** Where it was found: a path, an ARN, a vault URI. */
  location: string;
  metadata: Record<string, string>;
}

export interface DiscoverySourceInstance {
  scan(signal: AbortSignal): AsyncIterable<DiscoveredCertificate>;
  testConnection?(options?: { signal?: AbortSignal }): Promise<ConnectionTestResult>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}
