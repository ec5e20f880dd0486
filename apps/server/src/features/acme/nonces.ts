import { randomBytes } from 'node:crypto';
import type { Executor } from '../../db/open-database.js';

/** A fresh nonce, stored so any replica can accept it, once, until it expires. */
export async function issueNonce(db: Executor, ttlMs: number, now: Date): Promise<string> {
  const nonce = randomBytes(16).toString('base64url');
  await db
    .insertInto('acmeNonces')
    .values({ nonce, expiresAt: new Date(now.getTime() + ttlMs) })
    .execute();
  return nonce;
}

/** Spends a nonce: true only for the first use of an unexpired nonce we issued (one atomic DELETE). */
export async function consumeNonce(db: Executor, nonce: string, now: Date): Promise<boolean> {
  const row = await db
    .deleteFrom('acmeNonces')
    .where('nonce', '=', nonce)
    .where('expiresAt', '>', now)
    .returning('nonce')
    .executeTakeFirst();
  return row !== undefined;
}

export async function deleteExpiredNonces(db: Executor, now: Date): Promise<number> {
  const result = await db.deleteFrom('acmeNonces').where('expiresAt', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows ?? 0);
}
