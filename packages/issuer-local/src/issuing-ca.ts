/**
 * The CA that signs leaves, CRLs and OCSP responses, however it was obtained (a self-signed root kept
 * in the secret store, a sub-CA loaded from files, later a CA tree). Every source resolves to this one
 * shape, so the signing code never knows which mode it runs in.
 */
import type { KeyObject } from 'node:crypto';
import type { ParsedCertificate } from '@certctl/pki';

/** `tree`: an intermediate of a tree-mode hierarchy (see ca-tree/). */
export type IssuingCaMode = 'root' | 'sub-ca' | 'tree';

export interface IssuingCa {
  mode: IssuingCaMode;
  /** The certificate whose key signs what this issuer produces. */
  certificate: ParsedCertificate;
  /** Parents of `certificate`, closest first, up to the root when known; empty for a self-signed root. */
  parents: ParsedCertificate[];
  /** node:crypto form of the CA key, for the DER-level signers (CRL, OCSP, fast leaf path). */
  privateKey: KeyObject;
  /** WebCrypto form of the same key, for the general certificate builder. */
  signingKey: CryptoKey;
}

/** Where an issuing CA comes from; `load` is called once per instance (single-flight by the caller). */
export interface IssuingCaSource {
  /** For logs and testConnection: `self-signed root in the secret store`, `sub-CA from /etc/...`. */
  readonly description: string;
  load(): Promise<IssuingCa>;
}

/** The chain handed out with every certificate and by caChain(): issuing CA first. */
export function chainPemOf(ca: IssuingCa): string[] {
  return [ca.certificate.pem, ...ca.parents.map((parent) => parent.pem)];
}

/** Keeps one load in flight per source; a failed load is forgotten so the next call retries. */
export function singleFlight<T>(load: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= load().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}
