import type { JWK } from 'jose';
import type { AcmeAccount } from './acme-tables.js';
import type { AcmeContext, AcmeUrls } from './acme-context.js';
import { decodePayload, type ParsedJws, parseJws, verifyJws } from './jws.js';
import { consumeNonce } from './nonces.js';
import { AcmeProblem, unauthorized } from './problems.js';

export interface AuthenticatedRequest {
  jws: ParsedJws;
  /** Undefined for POST-as-GET. */
  payload: Record<string, unknown> | undefined;
  /** The raw payload bytes (key-change carries a JWS there). */
  payloadBytes: Uint8Array;
  /** Set when the JWS names an account by `kid`. */
  account?: AcmeAccount;
  /** The key that signed: the account's or the embedded one. */
  jwk: JWK;
}

export interface AuthOptions {
  /** `jwk` (new-account, revoke-cert by certificate key) or `kid` (everything else) or either. */
  key: 'jwk' | 'kid' | 'either';
}

/**
 * RFC 8555 6.2-6.5 for one request: a well-formed JWS, its `url` equal to the URL requested, its
 * key (embedded, or the account's for `kid`), a valid signature, and a nonce spent exactly once.
 * Nothing is changed before all of that holds.
 */
export async function authenticateRequest(
  ctx: AcmeContext,
  urls: AcmeUrls,
  profileId: string,
  body: unknown,
  requestUrl: string,
  options: AuthOptions,
): Promise<AuthenticatedRequest> {
  const jws = parseJws(body);
  if (jws.header.url !== requestUrl)
    throw unauthorized(`JWS url ${JSON.stringify(jws.header.url)} does not match the request URL ${requestUrl}`);
  let account: AcmeAccount | undefined;
  let jwk: JWK;
  if (jws.header.kid !== undefined) {
    if (options.key === 'jwk')
      throw new AcmeProblem('malformed', 'this request must be signed with an embedded jwk, not a kid');
    const prefix = urls.account('');
    const id = jws.header.kid.startsWith(prefix) ? jws.header.kid.slice(prefix.length) : undefined;
    account =
      id && /^[a-z0-9-]{1,64}$/.test(id)
        ? await ctx.deps.db
            .selectFrom('acmeAccounts')
            .selectAll()
            .where('id', '=', id)
            .where('profileId', '=', profileId)
            .executeTakeFirst()
        : undefined;
    if (!account) throw new AcmeProblem('accountDoesNotExist', `no account ${jws.header.kid} on this ACME directory`);
    jwk = account.jwk as JWK;
  } else {
    if (options.key === 'kid')
      throw new AcmeProblem('malformed', 'this request must be signed with an account kid, not an embedded jwk');
    jwk = jws.header.jwk!;
  }
  const payloadBytes = await verifyJws(jws, jwk);
  if (!(await consumeNonce(ctx.deps.db, jws.header.nonce, ctx.deps.now())))
    throw new AcmeProblem('badNonce', 'the nonce was not issued by this server, was already used, or has expired');
  if (account && account.status !== 'valid') throw unauthorized(`account ${account.id} is ${account.status}`);
  return { jws, payload: decodePayload(payloadBytes), payloadBytes, account, jwk };
}
