import type { RevocationReason } from './revocation-reason.js';

/** Subject alternative names, typed. */
export interface SubjectAltNames {
  dns: string[];
  ip: string[];
  email: string[];
  uri: string[];
}

export interface IssueRequest {
  /** PKCS#10 request, PEM. The key behind it never reaches the issuer. */
  csrPem: string;
  commonName: string;
  sans: SubjectAltNames;
  /** Extended key usage OIDs or names (`serverAuth`, `clientAuth`, ...); empty means the issuer's default. */
  extKeyUsages: string[];
  /** Upper bound on validity set by the profile; issuers cap what they request to this. */
  maxTtlSeconds?: number;
  mustStaple: boolean;
  /** CA-side profile or template hint, e.g. an ACME profile name or a Vault role. */
  profile?: string;
  /** Stable id of this request: the same id twice must not yield two certificates where the CA allows deduplication. */
  requestId: string;
  /** PEM of the certificate this one replaces (renewals; ACME uses it for ARI `replaces`). */
  replacesCertificatePem?: string;
  metadata: Record<string, string>;
  signal?: AbortSignal;
}

export interface IssuedCertificate {
  status: 'issued';
  /** The leaf, PEM. */
  certificatePem: string;
  /** Intermediates up to (not necessarily including) the root, PEM, leaf's issuer first. */
  chainPem: string[];
  /** Lowercase hex, no leading zero bytes. */
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** The CA's own order id when it has one. */
  orderId?: string;
}

export interface PendingOrder {
  status: 'pending';
  orderId: string;
  /** When to ask again, as the CA suggested. */
  retryAfterSeconds?: number;
  /** A human-readable CA state, e.g. `pending validation`. */
  detail?: string;
}

export interface FailedOrder {
  status: 'failed';
  orderId: string;
  reason: string;
}

export type IssueResult = IssuedCertificate | PendingOrder;
export type OrderResult = IssuedCertificate | PendingOrder | FailedOrder;

export interface RevokeRequest {
  /** Lowercase hex serial. */
  serial: string;
  reason: RevocationReason;
  /** The certificate, when the platform has it (ACME revokes by certificate). */
  certificatePem?: string;
  signal?: AbortSignal;
}

export interface CrlEntry {
  serial: string;
  revokedAt: Date;
  reason: RevocationReason;
}

export interface GenerateCrlRequest {
  entries: CrlEntry[];
  /** Monotonic CRL number chosen by the platform. */
  crlNumber: bigint;
  thisUpdate: Date;
  nextUpdate: Date;
  signal?: AbortSignal;
}

export interface OcspSignRequest {
  /** Lowercase hex serial the response is about. */
  serial: string;
  status: 'good' | 'revoked' | 'unknown';
  revokedAt?: Date;
  reason?: RevocationReason;
  thisUpdate: Date;
  nextUpdate: Date;
  /** The request's nonce extension value, echoed when present. */
  nonce?: Uint8Array;
  /** The CertID hash algorithm the request used, so the response answers the same CertID. */
  certIdHashAlgorithm?: 'SHA-1' | 'SHA-256';
  signal?: AbortSignal;
}

export interface RenewalInfo {
  suggestedWindow: { start: Date; end: Date };
  explanationUrl?: string;
  /** When to ask again (Retry-After). */
  retryAfterSeconds?: number;
}

export interface ExistingCertificate {
  certificatePem: string;
  chainPem: string[];
  orderId?: string;
  metadata: Record<string, string>;
}

export interface ConnectionTestResult {
  ok: true;
  /** What was checked, for the operator: `directory reachable, account valid`. */
  detail: string;
}

export interface IssuerInstance {
  issue(request: IssueRequest): Promise<IssueResult>;
  /** Follows up a pending order. Required when `capabilities.asyncOrders`. */
  getOrder?(orderId: string, options?: { signal?: AbortSignal }): Promise<OrderResult>;
  /** Defaults to `issue`. */
  renew?(request: IssueRequest): Promise<IssueResult>;
  revoke?(request: RevokeRequest): Promise<void>;
  /** The issuing CA's chain, issuing CA first, PEM. */
  caChain?(options?: { signal?: AbortSignal }): Promise<string[]>;
  /** DER of a signed CRL. */
  generateCrl?(request: GenerateCrlRequest): Promise<Uint8Array>;
  /** DER of a signed OCSP BasicOCSPResponse wrapped in an OCSPResponse. */
  signOcsp?(request: OcspSignRequest): Promise<Uint8Array>;
  /** RFC 9773 renewal information; `undefined` when the CA has none for this certificate. */
  renewalInfo?(certificatePem: string, options?: { signal?: AbortSignal }): Promise<RenewalInfo | undefined>;
  listExisting?(options?: { signal?: AbortSignal }): AsyncIterable<ExistingCertificate>;
  testConnection?(options?: { signal?: AbortSignal }): Promise<ConnectionTestResult>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}
