/**
 * Keeps the Vault token alive while the issuer runs: `lookup-self` at start, `renew-self` at half of
 * the TTL Vault last granted, one metric per outcome. It stops, with a warning, once the token can no
 * longer be extended (not renewable, or its max TTL reached) and, with an error, when Vault refuses it.
 */
import { AuthenticationError, type ConnectorContext, createDeadlineSignal } from '@certctl/core';
import type { VaultClient, VaultResponse } from './vault-client.js';

export const RENEWAL_METRIC = 'vault_token_renewals_total';

/** `data` of `GET /v1/auth/token/lookup-self` (the fields we use). */
export interface TokenLookup {
  ttl: number;
  renewable: boolean;
  expire_time?: string | null;
  policies?: string[];
  display_name?: string;
}

/** `auth` of `POST /v1/auth/token/renew-self`. */
export interface TokenAuth {
  lease_duration: number;
  renewable: boolean;
  policies?: string[];
}

export type RenewalState = 'idle' | 'running' | 'not_needed' | 'not_renewable' | 'refused' | 'stopped';

export interface TokenRenewal {
  /** Looks the token up (throws AuthenticationError on a bad token) and starts the loop when it applies. */
  start(): Promise<TokenLookup>;
  stop(): Promise<void>;
  readonly state: RenewalState;
}

/** Shortest wait between attempts, so a token with a tiny TTL or a failing Vault is not hammered. */
const MIN_DELAY_MS = 5_000;
/** Longest single timer. */
export const MAX_SLEEP_MS = 6 * 3_600_000;

export async function lookupSelf(client: VaultClient, signal?: AbortSignal): Promise<TokenLookup> {
  const response = await client.get<VaultResponse<TokenLookup>>('auth/token/lookup-self', signal);
  if (!response.data || typeof response.data.ttl !== 'number') {
    throw new AuthenticationError({ connector: 'issuer-vault', message: 'lookup-self returned no token data' });
  }
  return response.data;
}

export function createTokenRenewal(client: VaultClient, ctx: ConnectorContext): TokenRenewal {
  const stopper = new AbortController();
  // Not AbortSignal.any over the long-lived ctx.signal (see createDeadlineSignal): stop() lets go of it.
  const stopped = createDeadlineSignal(undefined, [ctx.signal, stopper.signal]);
  const signal = stopped.signal;
  let state: RenewalState = 'idle';
  let loop: Promise<void> | undefined;
  const count = (result: 'success' | 'failure' | 'not_renewable') => ctx.metrics.increment(RENEWAL_METRIC, { result });

  /**
   * Sleeps in slices of at most MAX_SLEEP_MS until `dueAt`: a year-long token's half TTL is beyond
   * what one timer can hold (Node fires timers over 2^31-1 ms at once), and slices follow the wall
   * clock across a suspended host.
   */
  const sleepUntil = async (dueAt: number) => {
    for (let left = dueAt - ctx.clock.now().getTime(); left > 0; left = dueAt - ctx.clock.now().getTime()) {
      await ctx.clock.sleep(Math.min(left, MAX_SLEEP_MS), signal);
    }
  };

  const run = async (firstTtlSeconds: number) => {
    let expiresAt = ctx.clock.now().getTime() + firstTtlSeconds * 1000;
    let delayMs = Math.max(MIN_DELAY_MS, (firstTtlSeconds * 1000) / 2);
    for (;;) {
      try {
        await sleepUntil(ctx.clock.now().getTime() + delayMs);
      } catch {
        return;
      }
      if (signal.aborted) return;
      try {
        const response = await client.post<VaultResponse<unknown, TokenAuth>>('auth/token/renew-self', {}, signal);
        const auth = response.auth;
        if (!auth || typeof auth.lease_duration !== 'number') throw new Error('renew-self returned no auth block');
        const now = ctx.clock.now().getTime();
        const newExpiry = now + auth.lease_duration * 1000;
        // Vault answers a renewal past the token's max TTL by truncating the lease: the expiry stops moving.
        if (!auth.renewable || newExpiry <= expiresAt) {
          count('not_renewable');
          state = 'not_renewable';
          ctx.logger.warn(
            { expiresAt: new Date(newExpiry).toISOString(), warnings: response.warnings ?? undefined },
            'the Vault token can no longer be renewed (not renewable or at its max TTL); issue a new token and update the issuer before it expires',
          );
          return;
        }
        count('success');
        expiresAt = newExpiry;
        delayMs = Math.max(MIN_DELAY_MS, (auth.lease_duration * 1000) / 2);
        ctx.logger.info(
          { ttlSeconds: auth.lease_duration, expiresAt: new Date(expiresAt).toISOString() },
          'renewed the Vault token',
        );
      } catch (error) {
        if (signal.aborted) return;
        count('failure');
        if (AuthenticationError.isInstance(error)) {
          state = 'refused';
          ctx.logger.error(
            { error: (error as Error).message },
            'Vault refused the token while renewing it; stopped renewing, issue a new token',
          );
          return;
        }
        const remainingMs = expiresAt - ctx.clock.now().getTime();
        delayMs = Math.max(MIN_DELAY_MS, remainingMs / 2);
        ctx.logger.warn(
          { error: (error as Error).message, retryInMs: delayMs },
          'renewing the Vault token failed; will try again',
        );
      }
    }
  };

  return {
    get state() {
      return state;
    },
    async start() {
      const lookup = await lookupSelf(client, signal);
      if (lookup.ttl === 0) {
        state = 'not_needed';
        ctx.logger.info({}, 'the Vault token does not expire (TTL 0); no renewal needed');
      } else if (!lookup.renewable) {
        state = 'not_renewable';
        count('not_renewable');
        ctx.logger.warn(
          { ttlSeconds: lookup.ttl, expireTime: lookup.expire_time ?? undefined },
          'the Vault token is not renewable and will expire; issue a renewable token or replace this one before then',
        );
      } else {
        state = 'running';
        loop = run(lookup.ttl);
      }
      return lookup;
    },
    async stop() {
      stopper.abort(new Error('issuer stopped'));
      await loop;
      stopped.dispose();
      if (state === 'running') state = 'stopped';
    },
  };
}
