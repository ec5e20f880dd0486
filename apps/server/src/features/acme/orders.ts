import type { AcmeAuthorization, AcmeChallenge, AcmeChallengeType, AcmeOrder } from './acme-tables.js';
import type { Executor } from '../../db/open-database.js';
import type { CertificateProfile } from '../../db/tables.js';
import { recordAudit } from '../../shared/audit.js';
import { checkNamesAgainstProfile } from '../policies/csr-policy.js';
import { ServiceError } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import type { AcmeContext, AcmeUrls } from './acme-context.js';
import { acmeActor } from './acme-actor.js';
import { newAcmeId, newChallengeToken } from './acme-ids.js';
import { readIdentifiers } from './identifiers.js';
import { AcmeProblem, malformed, notFoundProblem, unauthorized } from './problems.js';
import type { AuthenticatedRequest } from './request-auth.js';
import { findReplacedVersion } from './renewal-info.js';

export function orderJson(order: AcmeOrder, authzIds: string[], urls: AcmeUrls) {
  return {
    status: order.status,
    expires: order.expiresAt.toISOString(),
    identifiers: order.identifiers,
    ...(order.notBefore && { notBefore: order.notBefore.toISOString() }),
    ...(order.notAfter && { notAfter: order.notAfter.toISOString() }),
    ...(order.error && { error: order.error }),
    authorizations: authzIds.map((id) => urls.authz(id)),
    finalize: urls.finalize(order.id),
    ...(order.status === 'valid' && order.versionId && { certificate: urls.certificate(order.id) }),
    ...(order.replaces && { replaces: order.replaces }),
    ...(order.profileId && { profile: order.profileId }),
  };
}

export function challengeJson(challenge: AcmeChallenge, urls: AcmeUrls) {
  return {
    type: challenge.type,
    url: urls.challenge(challenge.id),
    status: challenge.status,
    token: challenge.token,
    ...(challenge.validatedAt && { validated: challenge.validatedAt.toISOString() }),
    ...(challenge.error && { error: challenge.error }),
  };
}

export function authzJson(authz: AcmeAuthorization, challenges: AcmeChallenge[], urls: AcmeUrls) {
  return {
    status: authz.status,
    expires: authz.expiresAt.toISOString(),
    identifier: { type: authz.identifierType, value: authz.identifierValue },
    challenges: challenges.map((c) => challengeJson(c, urls)),
    ...(authz.wildcard && { wildcard: true }),
  };
}

export async function authzIdsOf(db: Executor, orderId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('acmeAuthorizations')
    .select('id')
    .where('orderId', '=', orderId)
    .orderBy('createdAt')
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

async function loadProfile(db: Executor, id: string): Promise<CertificateProfile> {
  const profile = await db.selectFrom('certificateProfiles').selectAll().where('id', '=', id).executeTakeFirst();
  if (!profile?.enabled) throw new AcmeProblem('malformed', `profile ${id} is not available`, 404);
  return profile;
}

/** RFC 8555 7.4 (+ RFC 9773 `replaces`, ACME profiles): creates the order with its authorizations. */
export async function newOrder(
  ctx: AcmeContext,
  directoryProfile: CertificateProfile,
  request: AuthenticatedRequest,
): Promise<AcmeOrder> {
  const account = request.account!;
  const payload = request.payload;
  if (!payload) throw malformed('new-order needs a payload');
  const identifiers = readIdentifiers(payload.identifiers);
  if (payload.notBefore !== undefined || payload.notAfter !== undefined)
    throw malformed('notBefore/notAfter are not supported: the profile decides the validity');
  let profile = directoryProfile;
  if (payload.profile !== undefined) {
    if (typeof payload.profile !== 'string') throw malformed('profile must be a string');
    profile =
      payload.profile === directoryProfile.id
        ? directoryProfile
        : await loadProfile(ctx.deps.db, payload.profile).catch(() => {
            throw new AcmeProblem(
              'malformed',
              `unknown ACME profile ${JSON.stringify(payload.profile)}; see the directory meta.profiles`,
            );
          });
  }
  try {
    checkNamesAgainstProfile(
      identifiers.map((i) => i.value),
      profile,
    );
  } catch (error) {
    if (error instanceof ServiceError) throw new AcmeProblem('rejectedIdentifier', error.message);
    throw error;
  }
  let replaces: string | null = null;
  if (payload.replaces !== undefined) {
    if (typeof payload.replaces !== 'string') throw malformed('replaces must be an ARI certificate id');
    const replaced = await findReplacedVersion(ctx.deps.db, payload.replaces);
    if (!replaced) throw notFoundProblem(`certificate ${payload.replaces}`);
    const owned = await ctx.deps.db
      .selectFrom('acmeOrders')
      .select('id')
      .where('accountId', '=', account.id)
      .where('certificateId', '=', replaced.certificateId)
      .executeTakeFirst();
    if (!owned) throw unauthorized('replaces names a certificate this account did not order');
    const taken = await ctx.deps.db
      .selectFrom('acmeOrders')
      .select('id')
      .where('replaces', '=', payload.replaces)
      .where('status', '<>', 'invalid')
      .executeTakeFirst();
    if (taken)
      throw new AcmeProblem(
        'alreadyReplaced',
        `certificate ${payload.replaces} is already being replaced by order ${taken.id}`,
        409,
      );
    replaces = payload.replaces;
  }
  const now = ctx.deps.now();
  const since = new Date(now.getTime() - 3_600_000);
  const recent = await ctx.deps.db
    .selectFrom('acmeOrders')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('accountId', '=', account.id)
    .where('createdAt', '>', since)
    .executeTakeFirstOrThrow();
  if (Number(recent.n) >= ctx.config.ordersPerHour)
    throw new AcmeProblem('rateLimited', `at most ${ctx.config.ordersPerHour} new orders per hour per account`, 429, {
      retryAfterSeconds: 60,
    });

  const challengeMode = directoryProfile.acmeAuthMode === 'challenge' || profile.acmeAuthMode === 'challenge';
  const expiresAt = new Date(now.getTime() + ctx.config.orderLifetimeMs);
  const created = await inTransaction(ctx.deps, async (trx) => {
    const order = await trx
      .insertInto('acmeOrders')
      .values({
        id: newAcmeId('order'),
        accountId: account.id,
        profileId: profile.id,
        status: challengeMode ? 'pending' : 'ready',
        identifiers: JSON.stringify(identifiers),
        expiresAt,
        replaces,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (const identifier of identifiers) {
      const wildcard = identifier.value.startsWith('*.');
      const authz = await trx
        .insertInto('acmeAuthorizations')
        .values({
          id: newAcmeId('authz'),
          orderId: order.id,
          accountId: account.id,
          identifierType: identifier.type,
          identifierValue: wildcard ? identifier.value.slice(2) : identifier.value,
          wildcard,
          status: challengeMode ? 'pending' : 'valid',
          expiresAt,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      // trust_authenticated: the account is trusted for whatever the profile allows, so the authorization is valid from the start.
      const types: AcmeChallengeType[] = !challengeMode
        ? ['http-01']
        : wildcard
          ? ['dns-01']
          : identifier.type === 'ip'
            ? ['http-01', 'tls-alpn-01']
            : ['http-01', 'dns-01', 'tls-alpn-01'];
      for (const type of types) {
        await trx
          .insertInto('acmeChallenges')
          .values({
            id: newAcmeId('challenge'),
            authorizationId: authz.id,
            type,
            token: newChallengeToken(),
            status: challengeMode ? 'pending' : 'valid',
            validatedAt: challengeMode ? null : now,
          })
          .execute();
      }
    }
    await recordAudit(
      trx,
      acmeActor(account.id),
      'acme_order_created',
      { type: 'acme_order', id: order.id },
      {
        profile_id: profile.id,
        identifiers,
        auth_mode: challengeMode ? 'challenge' : 'trust_authenticated',
        ...(replaces && { replaces }),
      },
    );
    return order;
  });
  ctx.deps.metrics.acmeOrdersCreated.inc({
    profile: profile.id,
    auth_mode: challengeMode ? 'challenge' : 'trust_authenticated',
  });
  return created;
}

/** An order as the client may see it: expired ones become invalid, finished issuance jobs settle it. */
export async function refreshOrder(ctx: AcmeContext, order: AcmeOrder): Promise<AcmeOrder> {
  const now = ctx.deps.now();
  if ((order.status === 'pending' || order.status === 'ready') && order.expiresAt.getTime() <= now.getTime()) {
    return ctx.deps.db
      .updateTable('acmeOrders')
      .set({
        status: 'invalid',
        error: JSON.stringify(new AcmeProblem('malformed', 'the order expired').toStored()),
        updatedAt: now,
      })
      .where('id', '=', order.id)
      .returningAll()
      .executeTakeFirstOrThrow();
  }
  if (order.status !== 'processing' || !order.jobId) return order;
  const job = await ctx.deps.db
    .selectFrom('jobs')
    .select(['status', 'resultVersionId', 'lastError'])
    .where('id', '=', order.jobId)
    .executeTakeFirst();
  if (!job) return order;
  if (job.status === 'succeeded' && job.resultVersionId) {
    return ctx.deps.db
      .updateTable('acmeOrders')
      .set({ status: 'valid', versionId: job.resultVersionId, updatedAt: now })
      .where('id', '=', order.id)
      .where('status', '=', 'processing')
      .returningAll()
      .executeTakeFirst()
      .then((row) => row ?? order);
  }
  if (job.status === 'failed' || job.status === 'cancelled' || job.status === 'dead') {
    const problem = new AcmeProblem(
      'serverInternal',
      `issuance ${job.status}: ${job.lastError ?? 'no detail'}`,
    ).toStored();
    return ctx.deps.db
      .updateTable('acmeOrders')
      .set({ status: 'invalid', error: JSON.stringify(problem), updatedAt: now })
      .where('id', '=', order.id)
      .where('status', '=', 'processing')
      .returningAll()
      .executeTakeFirst()
      .then((row) => row ?? order);
  }
  return order;
}

/** An order of this account (else 404: other accounts' orders do not exist for it). */
export async function accountOrder(ctx: AcmeContext, accountId: string, orderId: string): Promise<AcmeOrder> {
  const order = await ctx.deps.db.selectFrom('acmeOrders').selectAll().where('id', '=', orderId).executeTakeFirst();
  if (!order) throw notFoundProblem(`order ${orderId}`);
  if (order.accountId !== accountId) throw unauthorized(`order ${orderId} belongs to another account`);
  return refreshOrder(ctx, order);
}

/** After an authorization changed: all valid makes the order ready, one invalid makes it invalid. */
export async function settleOrderAuthorizations(trx: Executor, orderId: string, now: Date): Promise<void> {
  const authzs = await trx
    .selectFrom('acmeAuthorizations')
    .select(['status', 'identifierValue'])
    .where('orderId', '=', orderId)
    .execute();
  if (authzs.every((a) => a.status === 'valid')) {
    await trx
      .updateTable('acmeOrders')
      .set({ status: 'ready', updatedAt: now })
      .where('id', '=', orderId)
      .where('status', '=', 'pending')
      .execute();
  } else if (authzs.some((a) => a.status === 'invalid' || a.status === 'deactivated' || a.status === 'expired')) {
    const failed = authzs.find((a) => a.status !== 'valid' && a.status !== 'pending');
    const problem = new AcmeProblem(
      'unauthorized',
      `authorization for ${failed?.identifierValue ?? '?'} is ${failed?.status ?? 'invalid'}`,
    ).toStored();
    await trx
      .updateTable('acmeOrders')
      .set({ status: 'invalid', error: JSON.stringify(problem), updatedAt: now })
      .where('id', '=', orderId)
      .where('status', 'in', ['pending', 'ready'])
      .execute();
  }
}
