import type { IssueRequest, RevokeRequest } from '@certctl/core';
import type { EntrustOrder } from './entrust-order.js';

/** What each Entrust API mode provides; the issuer turns its orders into contract results. */
export interface EntrustApi {
  /** Places a new order. */
  place(request: IssueRequest): Promise<EntrustOrder>;
  /** Renews `request.replacesCertificatePem` where the API can (same order), else places a new order. */
  renew(request: IssueRequest): Promise<EntrustOrder>;
  lookup(orderId: string, signal?: AbortSignal): Promise<EntrustOrder>;
  revoke(request: RevokeRequest): Promise<void>;
  /** Orders that carry a certificate (issued, revoked or expired), for import. */
  list(signal?: AbortSignal): AsyncIterable<EntrustOrder>;
  /** What the account offers (Gateway profiles; enterprise organizations, domains, products), snake_case JSON. */
  metadata(signal?: AbortSignal): Promise<Record<string, unknown>>;
  /** Checks credentials and configuration; returns what was checked. */
  test(signal?: AbortSignal): Promise<string>;
}

/** Seconds from now to the request's upper bound, when it has one. */
export function requestedLifetimeSeconds(request: IssueRequest): number | undefined {
  return request.maxTtlSeconds === undefined ? undefined : Math.max(60, Math.floor(request.maxTtlSeconds));
}
