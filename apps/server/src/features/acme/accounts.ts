import { flattenedVerify, type JWK } from 'jose';
import type { AcmeAccount } from './acme-tables.js';
import { recordAudit } from '../../shared/audit.js';
import { inTransaction } from '../../shared/transaction.js';
import type { AcmeContext, AcmeUrls } from './acme-context.js';
import { acmeActor } from './acme-actor.js';
import { newAcmeId } from './acme-ids.js';
import { jwkThumbprint, parseJws, publicJwk, verifyJws } from './jws.js';
import type { AuthenticatedRequest } from './request-auth.js';
import { AcmeProblem, malformed, unauthorized } from './problems.js';

export function accountJson(account: AcmeAccount, urls: AcmeUrls) {
  return {
    status: account.status,
    contact: account.contact,
    orders: urls.accountOrders(account.id),
    ...(account.eabKid && { externalAccountBinding: { kid: account.eabKid } }),
  };
}

function checkContacts(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > 10) throw malformed('contact must be an array of at most 10 URLs');
  return value.map((c) => {
    if (typeof c !== 'string' || c.length > 320)
      throw new AcmeProblem('invalidContact', 'contact entries must be strings');
    if (!c.startsWith('mailto:'))
      throw new AcmeProblem('unsupportedContact', `contact ${JSON.stringify(c)} is not a mailto: URL`);
    if (!/^mailto:[^@\s,?]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$/.test(c))
      throw new AcmeProblem('invalidContact', `contact ${JSON.stringify(c)} is not a single valid e-mail address`);
    return c;
  });
}

/** RFC 8555 7.3.4: the binding is a JWS by the operator-issued MAC key over the account key, for the new-account URL. */
async function checkExternalBinding(
  ctx: AcmeContext,
  binding: unknown,
  accountJwk: JWK,
  newAccountUrl: string,
): Promise<string> {
  if (binding === null || typeof binding !== 'object' || Array.isArray(binding))
    throw malformed('externalAccountBinding must be a flattened JWS');
  const record = binding as Record<string, unknown>;
  if (
    typeof record.protected !== 'string' ||
    typeof record.payload !== 'string' ||
    typeof record.signature !== 'string' ||
    Object.keys(record).length !== 3
  ) {
    throw malformed('externalAccountBinding must be a flattened JWS with protected, payload and signature');
  }
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(record.protected, 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    throw malformed('externalAccountBinding protected header is not JSON');
  }
  if (
    typeof header.kid !== 'string' ||
    !['HS256', 'HS384', 'HS512'].includes(String(header.alg)) ||
    'nonce' in header
  ) {
    throw malformed('externalAccountBinding needs an HS256/HS384/HS512 alg, a kid and no nonce');
  }
  if (header.url !== newAccountUrl) throw unauthorized('externalAccountBinding url does not match the new-account URL');
  const key = ctx.config.eabKeys.find((k) => k.kid === header.kid);
  if (!key) throw unauthorized(`unknown external account key id ${JSON.stringify(header.kid)}`);
  let payload: Uint8Array;
  try {
    payload = (
      await flattenedVerify(
        { protected: record.protected, payload: record.payload, signature: record.signature },
        Buffer.from(key.hmacKey, 'base64url'),
        { algorithms: ['HS256', 'HS384', 'HS512'] },
      )
    ).payload;
  } catch {
    throw unauthorized('externalAccountBinding signature does not verify with the key for that kid');
  }
  let bound: JWK;
  try {
    bound = JSON.parse(Buffer.from(payload).toString('utf8')) as JWK;
  } catch {
    throw malformed('externalAccountBinding payload is not a JWK');
  }
  if ((await jwkThumbprint(bound)) !== (await jwkThumbprint(accountJwk)))
    throw unauthorized('externalAccountBinding binds a different key than the one signing this request');
  return key.kid;
}

export interface NewAccountResult {
  account: AcmeAccount;
  created: boolean;
}

/** RFC 8555 7.3: create, or return the existing account for this key (always for onlyReturnExisting). */
export async function newAccount(
  ctx: AcmeContext,
  urls: AcmeUrls,
  profileId: string,
  request: AuthenticatedRequest,
): Promise<NewAccountResult> {
  const payload = request.payload ?? {};
  const jwk = publicJwk(request.jwk);
  const thumbprint = await jwkThumbprint(jwk);
  const existing = await ctx.deps.db
    .selectFrom('acmeAccounts')
    .selectAll()
    .where('profileId', '=', profileId)
    .where('jwkThumbprint', '=', thumbprint)
    .executeTakeFirst();
  if (existing) {
    if (existing.status !== 'valid') throw unauthorized(`account ${existing.id} is ${existing.status}`);
    return { account: existing, created: false };
  }
  if (payload.onlyReturnExisting === true)
    throw new AcmeProblem('accountDoesNotExist', 'no account exists for this key');
  const contact = checkContacts(payload.contact);
  if (ctx.config.termsOfService && payload.termsOfServiceAgreed !== true)
    throw new AcmeProblem('userActionRequired', `agree to the terms of service at ${ctx.config.termsOfService}`, 403);
  let eabKid: string | null = null;
  if (payload.externalAccountBinding !== undefined)
    eabKid = await checkExternalBinding(ctx, payload.externalAccountBinding, jwk, urls.newAccount);
  else if (ctx.config.eabRequired)
    throw new AcmeProblem(
      'externalAccountRequired',
      'this server requires external account binding: ask the operator for a key id and HMAC key',
    );
  const account = await inTransaction(ctx.deps, async (trx) => {
    const row = await trx
      .insertInto('acmeAccounts')
      .values({
        id: newAcmeId('account'),
        profileId,
        jwk: JSON.stringify(jwk),
        jwkThumbprint: thumbprint,
        contact: JSON.stringify(contact),
        eabKid,
      })
      .onConflict((oc) => oc.columns(['profileId', 'jwkThumbprint']).doNothing())
      .returningAll()
      .executeTakeFirst();
    if (!row) return undefined;
    await recordAudit(
      trx,
      acmeActor(row.id),
      'acme_account_created',
      { type: 'acme_account', id: row.id },
      { profile_id: profileId, jwk_thumbprint: thumbprint, ...(eabKid && { eab_kid: eabKid }) },
    );
    return row;
  });
  if (account) {
    ctx.deps.metrics.acmeAccountsCreated.inc({ profile: profileId });
    return { account, created: true };
  }
  // Lost a race with the same key on another request: that account is the answer.
  const raced = await ctx.deps.db
    .selectFrom('acmeAccounts')
    .selectAll()
    .where('profileId', '=', profileId)
    .where('jwkThumbprint', '=', thumbprint)
    .executeTakeFirstOrThrow();
  return { account: raced, created: false };
}

/** RFC 8555 7.3.2 and 7.3.6: POST-as-GET, contact update, or deactivation. */
export async function updateAccount(
  ctx: AcmeContext,
  accountId: string,
  request: AuthenticatedRequest,
): Promise<AcmeAccount> {
  const account = request.account!;
  if (account.id !== accountId) throw unauthorized('the JWS kid is not this account');
  const payload = request.payload;
  if (!payload) return account;
  const changes: { contact?: string; status?: 'deactivated' } = {};
  if (payload.contact !== undefined) changes.contact = JSON.stringify(checkContacts(payload.contact));
  if (payload.status !== undefined) {
    if (payload.status !== 'deactivated') throw malformed('the only status a client may set is "deactivated"');
    changes.status = 'deactivated';
  }
  if (Object.keys(changes).length === 0) return account;
  return inTransaction(ctx.deps, async (trx) => {
    const row = await trx
      .updateTable('acmeAccounts')
      .set({ ...changes, updatedAt: ctx.deps.now() })
      .where('id', '=', account.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    if (changes.status) {
      // RFC 8555 7.3.6: pending authorizations of a deactivated account go with it.
      await trx
        .updateTable('acmeAuthorizations')
        .set({ status: 'deactivated' })
        .where('accountId', '=', account.id)
        .where('status', '=', 'pending')
        .execute();
    }
    await recordAudit(
      trx,
      acmeActor(account.id),
      changes.status ? 'acme_account_deactivated' : 'acme_account_updated',
      { type: 'acme_account', id: account.id },
      { fields: Object.keys(changes) },
    );
    return row;
  });
}

/** RFC 8555 7.3.5: the payload is an inner JWS by the new key over {account, oldKey}, for the same URL. */
export async function changeKey(
  ctx: AcmeContext,
  urls: AcmeUrls,
  profileId: string,
  request: AuthenticatedRequest,
): Promise<AcmeAccount> {
  const account = request.account!;
  const since = new Date(ctx.deps.now().getTime() - 3_600_000);
  const recent = await ctx.deps.db
    .selectFrom('auditEvents')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('actor', '=', acmeActor(account.id).name)
    .where('action', '=', 'acme_account_key_rolled')
    .where('createdAt', '>', since)
    .executeTakeFirstOrThrow();
  if (Number(recent.n) >= ctx.config.keyChangesPerHour)
    throw new AcmeProblem(
      'rateLimited',
      `at most ${ctx.config.keyChangesPerHour} key changes per hour per account`,
      429,
      { retryAfterSeconds: 3600 },
    );
  const inner = parseJws(Buffer.from(request.payloadBytes), { requireNonce: false });
  if (!inner.header.jwk || inner.header.kid !== undefined)
    throw malformed('the inner key-change JWS must carry the new key as jwk');
  if (inner.header.url !== request.jws.header.url)
    throw malformed('the inner key-change JWS url must equal the outer url');
  const innerPayloadBytes = await verifyJws(inner, inner.header.jwk);
  let innerPayload: Record<string, unknown>;
  try {
    innerPayload = JSON.parse(Buffer.from(innerPayloadBytes).toString('utf8')) as Record<string, unknown>;
  } catch {
    throw malformed('the inner key-change payload is not JSON');
  }
  if (innerPayload.account !== urls.account(account.id))
    throw unauthorized('the inner key-change payload names another account');
  if (innerPayload.oldKey === null || typeof innerPayload.oldKey !== 'object')
    throw malformed('the inner key-change payload has no oldKey');
  if ((await jwkThumbprint(innerPayload.oldKey as JWK)) !== account.jwkThumbprint)
    throw unauthorized('oldKey is not the current account key');
  const newJwk = publicJwk(inner.header.jwk);
  const thumbprint = await jwkThumbprint(newJwk);
  const clash = await ctx.deps.db
    .selectFrom('acmeAccounts')
    .select('id')
    .where('profileId', '=', profileId)
    .where('jwkThumbprint', '=', thumbprint)
    .executeTakeFirst();
  if (clash)
    throw new AcmeProblem('malformed', `the new key already belongs to account ${urls.account(clash.id)}`, 409);
  return inTransaction(ctx.deps, async (trx) => {
    const row = await trx
      .updateTable('acmeAccounts')
      .set({ jwk: JSON.stringify(newJwk), jwkThumbprint: thumbprint, updatedAt: ctx.deps.now() })
      .where('id', '=', account.id)
      .where('jwkThumbprint', '=', account.jwkThumbprint)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw new AcmeProblem('malformed', 'the account key changed concurrently; retry', 409);
    await recordAudit(
      trx,
      acmeActor(account.id),
      'acme_account_key_rolled',
      { type: 'acme_account', id: account.id },
      { old_thumbprint: account.jwkThumbprint, new_thumbprint: thumbprint },
    );
    return row;
  });
}
