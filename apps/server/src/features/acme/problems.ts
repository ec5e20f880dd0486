import type { StoredProblem } from './acme-tables.js';

/** The RFC 8555 section 6.7 error types we send (plus RFC 9773's alreadyReplaced). */
export type AcmeProblemType =
  | 'accountDoesNotExist'
  | 'alreadyReplaced'
  | 'alreadyRevoked'
  | 'badCSR'
  | 'badNonce'
  | 'badPublicKey'
  | 'badRevocationReason'
  | 'badSignatureAlgorithm'
  | 'caa'
  | 'connection'
  | 'dns'
  | 'externalAccountRequired'
  | 'incorrectResponse'
  | 'invalidContact'
  | 'malformed'
  | 'orderNotReady'
  | 'rateLimited'
  | 'rejectedIdentifier'
  | 'serverInternal'
  | 'tls'
  | 'unauthorized'
  | 'unsupportedContact'
  | 'unsupportedIdentifier'
  | 'userActionRequired';

const DEFAULT_STATUS: Partial<Record<AcmeProblemType, number>> = {
  accountDoesNotExist: 400,
  alreadyRevoked: 400,
  badNonce: 400,
  orderNotReady: 403,
  rateLimited: 429,
  serverInternal: 500,
  unauthorized: 403,
};

/** An ACME error: thrown anywhere in the ACME feature and sent as an RFC 7807 problem document. */
export class AcmeProblem extends Error {
  readonly status: number;
  constructor(
    readonly type: AcmeProblemType,
    detail: string,
    status?: number,
    readonly extra: { retryAfterSeconds?: number; algorithms?: string[]; subproblems?: unknown[] } = {},
  ) {
    super(detail);
    this.name = 'AcmeProblem';
    this.status = status ?? DEFAULT_STATUS[type] ?? 400;
  }

  get urn(): string {
    return `urn:ietf:params:acme:error:${this.type}`;
  }

  toJSON(): Record<string, unknown> {
    return {
      type: this.urn,
      detail: this.message,
      status: this.status,
      ...(this.extra.algorithms && { algorithms: this.extra.algorithms }),
      ...(this.extra.subproblems && { subproblems: this.extra.subproblems }),
    };
  }

  toStored(): StoredProblem {
    return { type: this.urn, detail: this.message, status: this.status };
  }
}

export const malformed = (detail: string, status?: number) => new AcmeProblem('malformed', detail, status);
export const unauthorized = (detail: string) => new AcmeProblem('unauthorized', detail);
export const notFoundProblem = (what: string) => new AcmeProblem('malformed', `${what} does not exist`, 404);
