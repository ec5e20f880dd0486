import { sql } from 'kysely';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { inTransaction } from '../../shared/transaction.js';
import { type IntuneClaim, IntuneChallengeError } from './intune-challenge.js';

const DAY_MS = 24 * 60 * 60_000;

export interface SpendChallenge {
  scepProfile: string;
  claim: IntuneClaim;
  clockSkewMs: number;
  /** Enrolments per device in any 24 hours; 0 = no limit. */
  perDeviceLimit24h: number;
}

/**
 * Spends a verified challenge: refused if any replica has seen it before, or if its device has
 * used up its enrolments for the last 24 hours. In the database (not in memory) so that replicas
 * behind one load balancer share both. A challenge is spent even when the enrolment it came with
 * is refused later: the Connector makes a new one for the device's next attempt.
 */
export async function spendIntuneChallenge(
  deps: Pick<ServiceDeps, 'db' | 'now'>,
  spend: SpendChallenge,
): Promise<void> {
  const now = deps.now();
  const { claim } = spend;
  await inTransaction(deps, async (trx) => {
    // One device's enrolments are counted and recorded one at a time, on every replica.
    await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`scep-intune:${spend.scepProfile}:${claim.issuer}:${claim.subject}`}, 0))`.execute(
      trx,
    );
    await trx.deleteFrom('scepIntuneChallenges').where('keepUntil', '<', now).execute();
    const seen = await trx
      .selectFrom('scepIntuneChallenges')
      .select('consumedAt')
      .where('replayKey', '=', claim.replayKey)
      .executeTakeFirst();
    if (seen)
      throw new IntuneChallengeError('replay', `the challenge was already used at ${seen.consumedAt.toISOString()}`);
    if (spend.perDeviceLimit24h > 0) {
      const { used } = await trx
        .selectFrom('scepIntuneChallenges')
        .select((eb) => eb.fn.countAll<string | number>().as('used'))
        .where('scepProfile', '=', spend.scepProfile)
        .where('deviceSubject', '=', claim.subject)
        .where('deviceIssuer', '=', claim.issuer)
        .where('consumedAt', '>', new Date(now.getTime() - DAY_MS))
        .executeTakeFirstOrThrow();
      if (Number(used) >= spend.perDeviceLimit24h)
        throw new IntuneChallengeError(
          'rate_limited',
          `device ${claim.subject} already enrolled ${used} times in the last 24 hours (INTUNE_PER_DEVICE_RATE_LIMIT_24H=${spend.perDeviceLimit24h})`,
        );
    }
    // Kept while it could still be replayed and while it counts towards the device's limit.
    const keepUntil = Math.max(claim.expiresAt.getTime() + spend.clockSkewMs, now.getTime() + DAY_MS);
    await trx
      .insertInto('scepIntuneChallenges')
      .values({
        replayKey: claim.replayKey,
        scepProfile: spend.scepProfile,
        deviceSubject: claim.subject,
        deviceIssuer: claim.issuer,
        consumedAt: now,
        keepUntil: new Date(keepUntil),
      })
      .execute();
  });
}
