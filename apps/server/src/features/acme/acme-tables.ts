import type { Generated, Selectable } from 'kysely';
import type { CreatedAt, Json, JsonWithDefault, Timestamp, UpdatedAt } from '../../db/column-types.js';

export type AcmeAuthMode = 'trust_authenticated' | 'challenge';
export type AcmeAccountStatus = 'valid' | 'deactivated' | 'revoked';
export type AcmeOrderStatus = 'pending' | 'ready' | 'processing' | 'valid' | 'invalid';
export type AcmeAuthorizationStatus = 'pending' | 'valid' | 'invalid' | 'deactivated' | 'expired' | 'revoked';
export type AcmeChallengeStatus = 'pending' | 'processing' | 'valid' | 'invalid';
export type AcmeChallengeType = 'http-01' | 'dns-01' | 'tls-alpn-01';

export interface AcmeIdentifier {
  type: 'dns' | 'ip';
  value: string;
}

/** An RFC 7807 problem as stored on an order or a challenge. */
export interface StoredProblem {
  type: string;
  detail: string;
  status?: number;
}

export interface AcmeNoncesTable {
  nonce: string;
  expiresAt: Timestamp;
}

export interface AcmeAccountsTable {
  id: string;
  profileId: string;
  jwk: Json<Record<string, unknown>>;
  jwkThumbprint: string;
  status: Generated<AcmeAccountStatus>;
  contact: JsonWithDefault<string[]>;
  eabKid: string | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface AcmeOrdersTable {
  id: string;
  accountId: string;
  profileId: string;
  status: AcmeOrderStatus;
  identifiers: Json<AcmeIdentifier[]>;
  notBefore: Timestamp | null;
  notAfter: Timestamp | null;
  expiresAt: Timestamp;
  error: Json<StoredProblem> | null;
  replaces: string | null;
  csrPem: string | null;
  certificateId: string | null;
  jobId: string | null;
  versionId: string | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface AcmeAuthorizationsTable {
  id: string;
  orderId: string;
  accountId: string;
  identifierType: 'dns' | 'ip';
  identifierValue: string;
  wildcard: Generated<boolean>;
  status: AcmeAuthorizationStatus;
  expiresAt: Timestamp;
  createdAt: CreatedAt;
}

export interface AcmeChallengesTable {
  id: string;
  authorizationId: string;
  type: AcmeChallengeType;
  token: string;
  status: AcmeChallengeStatus;
  validatedAt: Timestamp | null;
  error: Json<StoredProblem> | null;
  attempts: Generated<number>;
  createdAt: CreatedAt;
}

export interface AcmeTables {
  acmeNonces: AcmeNoncesTable;
  acmeAccounts: AcmeAccountsTable;
  acmeOrders: AcmeOrdersTable;
  acmeAuthorizations: AcmeAuthorizationsTable;
  acmeChallenges: AcmeChallengesTable;
}

export type AcmeAccount = Selectable<AcmeAccountsTable>;
export type AcmeOrder = Selectable<AcmeOrdersTable>;
export type AcmeAuthorization = Selectable<AcmeAuthorizationsTable>;
export type AcmeChallenge = Selectable<AcmeChallengesTable>;
