/**
 * Per-address limit on the unauthenticated PKI routes (CRL, OCSP), which anyone can hammer:
 * `CERTCTL_OCSP_RATE_LIMIT_PER_IP_MIN` requests a minute per client address (0 turns it off).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { createRateLimiter, type RateLimiter } from '../../http/rate-limiter.js';

const limiters = new WeakMap<ServiceDeps, RateLimiter | null>();

function limiterOf(deps: ServiceDeps): RateLimiter | null {
  let limiter = limiters.get(deps);
  if (limiter === undefined) {
    const perMinute = deps.settings.pkiRateLimitPerIpMin;
    limiter = perMinute > 0 ? createRateLimiter({ rps: perMinute / 60, burst: perMinute }) : null;
    limiters.set(deps, limiter);
  }
  return limiter;
}

/** Takes one token for the caller's address; when none is left, sets Retry-After and returns false. */
export function allowPkiRequest(deps: ServiceDeps, request: FastifyRequest, reply: FastifyReply): boolean {
  const limiter = limiterOf(deps);
  if (!limiter) return true;
  const verdict = limiter.take(`pki:${request.ip}`);
  if (verdict.allowed) return true;
  reply.header('retry-after', String(verdict.retryAfterSeconds));
  return false;
}
