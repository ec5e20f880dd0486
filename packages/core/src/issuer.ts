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
  /**
   * Challenges the issuer cannot present itself (HTTP-01 served by the agent on the target host):
   * the app has them presented, then calls `getOrder(orderId, { challengesPresented: true })`.
   */
  challenges?: DelegatedChallenge[];
}

/** An HTTP-01 token to serve at `http://<identifier>/.well-known/acme-challenge/<token>` (RFC 8555 section 8.3). */
export interface DelegatedChallenge {
  type: 'http-01';
  /** The DNS name the CA will connect to. */
  identifier: string;
  /** base64url. */
  token: string;
  /** The exact body to answer with. */
  keyAuthorization: string;
}

export interface GetOrderOptions {
  signal?: AbortSignal;
  /** The order's delegated challenges are being served now: the issuer may ask the CA to validate them. */
  challengesPresented?: boolean;
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

/** Name constraints of a CA in a hierarchy (RFC 5280 4.2.1.10); IP entries are CIDR (`10.0.0.0/8`). */
export interface CaNameConstraints {
  permittedDns?: string[];
  excludedDns?: string[];
  permittedIp?: string[];
  excludedIp?: string[];
  permittedEmail?: string[];
  excludedEmail?: string[];
}

/** `retiring`: drains (issues nothing new, its certificates stay valid); `retired`: drained, key destroyed. */
export type CaState = 'active' | 'retiring' | 'retired';

/** One CA of an issuer's hierarchy. The top of the tree (the issuer's own root or sub-CA) has `parentId: null`. */
export interface CaNode {
  id: string;
  parentId: string | null;
  name: string;
  subject: string;
  state: CaState;
  /** The CA that signs this issuer's leaves; exactly one node is. */
  issuing: boolean;
  certificatePem: string;
  serial: string;
  notBefore: Date;
  notAfter: Date;
  /** basicConstraints pathLenConstraint; undefined means unlimited. */
  pathLength?: number;
  nameConstraints?: CaNameConstraints;
}

export interface CreateCaRequest {
  /** The parent CA's id; default the top of the tree. */
  parentId?: string;
  /** Unique within the issuer: `[a-z0-9][a-z0-9-]*`. */
  name: string;
  commonName: string;
  organization?: string;
  keyAlgorithm?: 'ecdsa-p256' | 'ecdsa-p384' | 'rsa-2048' | 'rsa-3072' | 'rsa-4096' | 'ed25519';
  validityDays: number;
  pathLength?: number;
  nameConstraints?: CaNameConstraints;
  /** Make it the issuing CA once created. */
  issuing?: boolean;
  signal?: AbortSignal;
}

export interface RetireCaRequest {
  id: string;
  /** `retiring` starts the drain; `retired` ends it (the app checks first that nothing it issued is still valid). */
  state: 'retiring' | 'retired';
  signal?: AbortSignal;
}

export interface IssuerInstance {
  issue(request: IssueRequest): Promise<IssueResult>;
  /** Follows up a pending order. Required when `capabilities.asyncOrders`. */
  getOrder?(orderId: string, options?: GetOrderOptions): Promise<OrderResult>;
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
  /**
   * What the CA account offers, read from the CA (products, organizations, domains...), so the app can
   * offer those choices; JSON, snake_case keys.
   */
  accountMetadata?(options?: { signal?: AbortSignal }): Promise<Record<string, unknown>>;
  /** The CA tree, top first. Required when `capabilities.caHierarchy` (with the three below). */
  listCas?(options?: { signal?: AbortSignal }): Promise<CaNode[]>;
  createCa?(request: CreateCaRequest): Promise<CaNode>;
  /** Makes an active CA the one that signs leaves. */
  setIssuingCa?(id: string, options?: { signal?: AbortSignal }): Promise<CaNode>;
  retireCa?(request: RetireCaRequest): Promise<CaNode>;
  testConnection?(options?: { signal?: AbortSignal }): Promise<ConnectionTestResult>;
  start?(): Promise<void>;
  stop?(): Promise<void>;
}
