/**
 * The OCSP responder (RFC 6960, with the RFC 5019 lightweight profile): one CertID per request,
 * answered for the issuer named in the URL, signed by the issuer's connector (the local CA signs with
 * its delegated responder certificate). Responses to nonce-less requests are pre-signed and served
 * from memory until half their validity has passed; a revocation empties the issuer's cache here at
 * once and on other replicas within a second (each replica checks that the issuer still exists and
 * its revocation count and latest revocation time at most once a second, not per request). A cached
 * answer is served without touching the database.
 */
import type { RevocationReason } from '@certctl/core';
import {
  buildOcspCertId,
  buildOcspErrorResponse,
  buildOcspRequest,
  createOcspIssuerMatcher,
  type OcspIssuerMatcher,
  type OcspRequest,
  parseOcspRequest,
} from '@certctl/pki';
import { createHash } from 'node:crypto';
import { issuerCaChain } from '../issuers/issuers.js';
import type { ServiceDeps } from '../../shared/service-deps.js';

/** RFC 8954: a nonce of 1 to 32 octets; longer ones are refused as malformed. */
const MAX_NONCE_OCTETS = 32;
const EPOCH_CHECK_MS = 1_000;
const MAX_CACHED_RESPONSES = 100_000;

export interface OcspAnswer {
  der: Uint8Array;
  /** HTTP caching for signed, nonce-less answers. */
  cache?: { thisUpdate: Date; nextUpdate: Date; etag: string };
  status: 'good' | 'revoked' | 'unknown' | 'malformedRequest' | 'unauthorized' | 'internalError';
}

interface CachedAnswer extends OcspAnswer {
  refreshAfter: number;
}

/** A certificate's status as last read, so requests with a nonce are signed without a query. */
interface KnownStatus {
  status: 'good' | 'revoked' | 'unknown';
  revocation?: { revokedAt: Date; reason: string | null };
  refreshAfter: number;
}

interface IssuerState {
  matcher?: { chainHead: string; matcher: OcspIssuerMatcher; readAt: number };
  signer?: { runtime: IssuerRuntime | undefined; readAt: number };
  epoch?: string;
  checkedAt: number;
  /** `<hash>:<serial>` → answer; also raw request bytes (base64) → answer, so repeats skip parsing. */
  answers: Map<string, CachedAnswer>;
  /** serial → status, for answers signed per request (nonce). */
  statuses: Map<string, KnownStatus>;
}

const states = new WeakMap<ServiceDeps, Map<string, IssuerState>>();

function issuerStates(deps: ServiceDeps): Map<string, IssuerState> {
  let perIssuer = states.get(deps);
  if (!perIssuer) {
    perIssuer = new Map();
    states.set(deps, perIssuer);
  }
  return perIssuer;
}

/** Called after a revocation or a new issuing CA: this replica's pre-signed answers and statuses for the issuer are dropped now. */
export function invalidateOcspCache(deps: ServiceDeps, issuerId: string): void {
  const state = states.get(deps)?.get(issuerId);
  if (state) {
    state.answers.clear();
    state.statuses.clear();
    state.matcher = undefined;
    state.signer = undefined;
    state.epoch = undefined;
    state.checkedAt = 0;
  }
}

/**
 * The issuer's state, re-checked against the database at most once a second: whether the issuer
 * still exists, and its revocation epoch (revocations made through another replica show up as a new
 * count or a new latest time). Unknown issuer ids get no state, so made-up ids in URLs cannot grow
 * the map; they cost a query each (the PKI rate limiter bounds those).
 */
async function currentState(deps: ServiceDeps, issuerId: string): Promise<IssuerState | undefined> {
  const perIssuer = issuerStates(deps);
  const now = Date.now();
  const held = perIssuer.get(issuerId);
  if (held && now - held.checkedAt < EPOCH_CHECK_MS) return held;
  const [issuer, row] = await Promise.all([
    deps.db.selectFrom('issuers').select(['id']).where('id', '=', issuerId).executeTakeFirst(),
    deps.db
      .selectFrom('revocations')
      .select((eb) => [eb.fn.countAll<string>().as('n'), eb.fn.max('revokedAt').as('latest')])
      .where('issuerId', '=', issuerId)
      .executeTakeFirst(),
  ]);
  if (!issuer) {
    perIssuer.delete(issuerId);
    return undefined;
  }
  const state: IssuerState = held ?? { checkedAt: 0, answers: new Map(), statuses: new Map() };
  perIssuer.set(issuerId, state);
  state.checkedAt = now;
  const latest = row?.latest ? new Date(row.latest as unknown as string).getTime() : 0;
  const epoch = `${row?.n ?? 0}:${latest}`;
  if (state.epoch !== undefined && state.epoch !== epoch) {
    state.answers.clear();
    state.statuses.clear();
    state.matcher = undefined;
  }
  state.epoch = epoch;
  return state;
}

async function matcherFor(deps: ServiceDeps, issuerId: string, state: IssuerState): Promise<OcspIssuerMatcher> {
  // In a CA tree the issuing CA can change: the matcher follows the chain's head, read at most once a second.
  const now = Date.now();
  if (state.matcher && now - state.matcher.readAt < EPOCH_CHECK_MS) return state.matcher.matcher;
  const chain = await issuerCaChain(deps, issuerId);
  const head = chain[0]!;
  if (state.matcher?.chainHead !== head)
    state.matcher = { chainHead: head, matcher: createOcspIssuerMatcher(head), readAt: now };
  else state.matcher.readAt = now;
  return state.matcher.matcher;
}

type IssuerRuntime = Awaited<ReturnType<ServiceDeps['issuers']['get']>>;

/** The issuer's connector if it signs OCSP; looked up (a query: its config may have changed) at most once a second. */
async function signerFor(deps: ServiceDeps, issuerId: string, state: IssuerState): Promise<IssuerRuntime | undefined> {
  const now = Date.now();
  if (state.signer && now - state.signer.readAt < EPOCH_CHECK_MS) return state.signer.runtime;
  const runtime = await deps.issuers.get(issuerId).catch(() => undefined);
  const signs = runtime !== undefined && (await runtime.supports('signOcsp').catch(() => false));
  state.signer = { runtime: signs ? runtime : undefined, readAt: now };
  return state.signer.runtime;
}

const error = (status: Exclude<OcspAnswer['status'], 'good' | 'revoked' | 'unknown'>): OcspAnswer => ({
  der: buildOcspErrorResponse(status),
  status,
});

function remember(state: IssuerState, keys: string[], answer: CachedAnswer): void {
  if (state.answers.size >= MAX_CACHED_RESPONSES) state.answers.clear();
  for (const key of keys) state.answers.set(key, answer);
}

/** The reference product's `GET .../ocsp/<issuer>/<hex serial>` form, as a SHA-1 CertID request. */
export async function ocspRequestForSerial(
  deps: ServiceDeps,
  issuerId: string,
  serialHex: string,
): Promise<Uint8Array | undefined> {
  try {
    const [head] = await issuerCaChain(deps, issuerId);
    return buildOcspRequest({
      certIds: [buildOcspCertId({ issuerCertificate: head!, serial: serialHex.toLowerCase() })],
    });
  } catch {
    return undefined;
  }
}

function freshHit(deps: ServiceDeps, state: IssuerState, key: string): CachedAnswer | undefined {
  const hit = state.answers.get(key);
  if (!hit || deps.now().getTime() >= hit.refreshAfter) return undefined;
  deps.metrics.ocspResponses.inc({ status: hit.status, cache: 'hit' });
  return hit;
}

/**
 * The pre-signed answer to a request already seen, looked up by the request's base64 DER (as a GET
 * URL carries it) without decoding or parsing it; undefined when it must go through `answerOcsp`.
 */
export async function cachedOcspAnswer(
  deps: ServiceDeps,
  issuerId: string,
  requestBase64: string,
): Promise<OcspAnswer | undefined> {
  const state = await currentState(deps, issuerId);
  return state && freshHit(deps, state, `raw:${requestBase64}`);
}

/** Answers one DER OCSPRequest for `issuerId`. Never throws for bad input: that is `malformedRequest`. */
export async function answerOcsp(deps: ServiceDeps, issuerId: string, requestDer: Uint8Array): Promise<OcspAnswer> {
  const state = await currentState(deps, issuerId);
  if (!state) return error('unauthorized');

  const rawKey = `raw:${Buffer.from(requestDer.buffer, requestDer.byteOffset, requestDer.byteLength).toString('base64')}`;
  const nowMs = deps.now().getTime();
  const hit = freshHit(deps, state, rawKey);
  if (hit) return hit;

  let request: OcspRequest;
  try {
    request = parseOcspRequest(requestDer);
  } catch {
    return error('malformedRequest');
  }
  if (request.certIds.length !== 1) return error('malformedRequest');
  if (request.nonce && request.nonce.length > MAX_NONCE_OCTETS + 2) return error('malformedRequest');
  const certId = request.certIds[0]!;

  const runtime = await signerFor(deps, issuerId, state);
  if (!runtime) return error('unauthorized');
  let matcher: OcspIssuerMatcher;
  try {
    matcher = await matcherFor(deps, issuerId, state);
  } catch {
    return error('unauthorized');
  }
  if (!matcher.matches(certId)) return error('unauthorized');
  // The signer answers with a SHA-1 or SHA-256 CertID; other hashes would not match what was asked.
  if (certId.hashAlgorithm !== 'sha1' && certId.hashAlgorithm !== 'sha256') return error('malformedRequest');

  const certKey = `${certId.hashAlgorithm}:${certId.serial}`;
  const cached = request.nonce ? undefined : freshHit(deps, state, certKey);
  if (cached) {
    remember(state, [rawKey], cached);
    return cached;
  }

  // A nonce needs a signature per request, but not a query per request: the status read for the
  // certificate a moment ago still holds (a revocation empties this, here at once, elsewhere within a second).
  let known = state.statuses.get(certId.serial);
  if (!known || nowMs >= known.refreshAfter) {
    const [version, revocation] = await Promise.all([
      deps.db
        .selectFrom('certificateVersions')
        .select(['id'])
        .where('issuerId', '=', issuerId)
        .where('serial', '=', certId.serial)
        .executeTakeFirst(),
      deps.db
        .selectFrom('revocations')
        .select(['revokedAt', 'reason'])
        .where('issuerId', '=', issuerId)
        .where('serial', '=', certId.serial)
        .executeTakeFirst(),
    ]);
    known = {
      status: revocation ? 'revoked' : version ? 'good' : 'unknown',
      revocation,
      refreshAfter: nowMs + deps.settings.ocspValidityMs / 2,
    };
    if (state.statuses.size >= MAX_CACHED_RESPONSES) state.statuses.clear();
    state.statuses.set(certId.serial, known);
  }
  const { status, revocation } = known;
  const thisUpdate = new Date(Math.floor(nowMs / 1000) * 1000);
  const nextUpdate = new Date(thisUpdate.getTime() + deps.settings.ocspValidityMs);
  let der: Uint8Array;
  try {
    der = await runtime.signOcsp({
      serial: certId.serial,
      status,
      revokedAt: revocation?.revokedAt,
      reason: revocation?.reason as RevocationReason | undefined,
      thisUpdate,
      nextUpdate,
      nonce: request.nonce,
      certIdHashAlgorithm: certId.hashAlgorithm === 'sha256' ? 'SHA-256' : 'SHA-1',
    });
  } catch (cause) {
    deps.logger.warn(
      { issuer_id: issuerId, error: cause instanceof Error ? cause.message : String(cause) },
      'OCSP signing failed',
    );
    return error('internalError');
  }
  const answer: CachedAnswer = {
    der: Buffer.from(der.buffer, der.byteOffset, der.byteLength),
    status,
    cache: request.nonce
      ? undefined
      : { thisUpdate, nextUpdate, etag: `"${createHash('sha1').update(der).digest('hex')}"` },
    refreshAfter: thisUpdate.getTime() + deps.settings.ocspValidityMs / 2,
  };
  if (!request.nonce) remember(state, [certKey, rawKey], answer);
  deps.metrics.ocspResponses.inc({ status, cache: 'miss' });
  return answer;
}
