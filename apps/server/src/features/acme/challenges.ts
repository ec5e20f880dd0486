import type { AcmeAccount, AcmeChallenge } from './acme-tables.js';
import { recordAudit } from '../../shared/audit.js';
import { inTransaction } from '../../shared/transaction.js';
import type { AcmeContext } from './acme-context.js';
import { acmeActor } from './acme-actor.js';
import type { Validators } from './challenge-validators.js';
import { AcmeProblem, notFoundProblem, unauthorized } from './problems.js';
import { settleOrderAuthorizations } from './orders.js';

/** RFC 8555 8.1: token "." base64url(JWK thumbprint of the account key). */
export const keyAuthorization = (token: string, account: Pick<AcmeAccount, 'jwkThumbprint'>) =>
  `${token}.${account.jwkThumbprint}`;

export async function accountChallenge(ctx: AcmeContext, accountId: string, challengeId: string) {
  const row = await ctx.deps.db
    .selectFrom('acmeChallenges')
    .innerJoin('acmeAuthorizations', 'acmeAuthorizations.id', 'acmeChallenges.authorizationId')
    .selectAll('acmeChallenges')
    .select(['acmeAuthorizations.accountId', 'acmeAuthorizations.status as authzStatus'])
    .where('acmeChallenges.id', '=', challengeId)
    .executeTakeFirst();
  if (!row) throw notFoundProblem(`challenge ${challengeId}`);
  if (row.accountId !== accountId) throw unauthorized(`challenge ${challengeId} belongs to another account`);
  return row;
}

/** RFC 8555 7.5.1: the client says it is ready; validation runs in the background. */
export async function respondToChallenge(
  ctx: AcmeContext,
  account: AcmeAccount,
  challengeId: string,
): Promise<AcmeChallenge> {
  const challenge = await accountChallenge(ctx, account.id, challengeId);
  if (challenge.status !== 'pending') return challenge;
  if (challenge.authzStatus !== 'pending')
    throw new AcmeProblem('malformed', `the authorization is ${challenge.authzStatus}`);
  const updated = await ctx.deps.db
    .updateTable('acmeChallenges')
    .set((eb) => ({ status: 'processing', attempts: eb('attempts', '+', 1) }))
    .where('id', '=', challengeId)
    .where('status', '=', 'pending')
    .returningAll()
    .executeTakeFirst();
  if (!updated) return (await accountChallenge(ctx, account.id, challengeId)) as AcmeChallenge;
  ctx.scheduleValidation(challengeId);
  return updated;
}

/** Validates one processing challenge and settles the challenge, its authorization and its order. */
export async function runValidation(ctx: AcmeContext, validators: Validators, challengeId: string): Promise<void> {
  const { db } = ctx.deps;
  const row = await db
    .selectFrom('acmeChallenges')
    .innerJoin('acmeAuthorizations', 'acmeAuthorizations.id', 'acmeChallenges.authorizationId')
    .innerJoin('acmeAccounts', 'acmeAccounts.id', 'acmeAuthorizations.accountId')
    .select([
      'acmeChallenges.id',
      'acmeChallenges.type',
      'acmeChallenges.token',
      'acmeChallenges.status',
      'acmeAuthorizations.id as authzId',
      'acmeAuthorizations.orderId',
      'acmeAuthorizations.identifierType',
      'acmeAuthorizations.identifierValue',
      'acmeAccounts.id as accountId',
      'acmeAccounts.jwkThumbprint',
    ])
    .where('acmeChallenges.id', '=', challengeId)
    .executeTakeFirst();
  if (row?.status !== 'processing') return;
  let problem: AcmeProblem | undefined;
  try {
    await validators[row.type]({
      type: row.identifierType,
      value: row.identifierValue,
      token: row.token,
      keyAuthorization: keyAuthorization(row.token, row),
    });
  } catch (error) {
    problem =
      error instanceof AcmeProblem
        ? error
        : new AcmeProblem(
            'serverInternal',
            `validation failed: ${error instanceof Error ? error.message : String(error)}`,
          );
  }
  const now = ctx.deps.now();
  const settledNow = await inTransaction(ctx.deps, async (trx) => {
    const settled = await trx
      .updateTable('acmeChallenges')
      .set(
        problem
          ? { status: 'invalid', error: JSON.stringify(problem.toStored()) }
          : { status: 'valid', validatedAt: now },
      )
      .where('id', '=', row.id)
      .where('status', '=', 'processing')
      .returning('id')
      .executeTakeFirst();
    if (!settled) return false;
    await trx
      .updateTable('acmeAuthorizations')
      .set({ status: problem ? 'invalid' : 'valid' })
      .where('id', '=', row.authzId)
      .where('status', '=', 'pending')
      .execute();
    await settleOrderAuthorizations(trx, row.orderId, now);
    await recordAudit(
      trx,
      acmeActor(row.accountId),
      problem ? 'acme_challenge_invalid' : 'acme_challenge_valid',
      { type: 'acme_challenge', id: row.id },
      { type: row.type, identifier: row.identifierValue, ...(problem && { error: problem.message }) },
    );
    return true;
  });
  if (settledNow)
    ctx.deps.metrics.acmeChallengeValidations.inc({ type: row.type, result: problem ? 'invalid' : 'valid' });
}

/** Runs at most `limit` validations at once; the rest wait their turn. */
export function createValidationQueue(
  limit: number,
  run: (challengeId: string) => Promise<void>,
  onError: (error: unknown) => void,
) {
  const waiting: string[] = [];
  const running = new Set<Promise<void>>();
  const pump = () => {
    while (running.size < limit && waiting.length > 0) {
      const id = waiting.shift()!;
      const task = run(id)
        .catch(onError)
        .finally(() => {
          running.delete(task);
          pump();
        });
      running.add(task);
    }
  };
  return {
    add(challengeId: string) {
      waiting.push(challengeId);
      pump();
    },
    async drain() {
      waiting.length = 0;
      await Promise.allSettled([...running]);
    },
  };
}
