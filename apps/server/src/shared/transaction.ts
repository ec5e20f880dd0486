import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../db/tables.js';
import type { ServiceDeps } from './service-deps.js';
import { databaseConflict } from './service-errors.js';

const AFTER_ROLLBACK = Symbol.for('certctl.afterRollback');

type AfterRollback = (db: Kysely<Database>) => Promise<void>;

/**
 * Marks an error as one that must leave a trace although it rolls its transaction back (a refused
 * issuance is still recorded and alerted): `inTransaction` runs `work` on the database once the
 * rollback is done. Returns the error, to be thrown.
 */
export function withAfterRollback<E extends object>(error: E, work: AfterRollback): E {
  Object.defineProperty(error, AFTER_ROLLBACK, { value: work, enumerable: false, configurable: true });
  return error;
}

/** Moves the after-rollback work of `from` (if any) onto `to`, when a caller translates an error. */
export function carryAfterRollback<E extends object>(from: unknown, to: E): E {
  const work = (from as { [AFTER_ROLLBACK]?: AfterRollback } | null)?.[AFTER_ROLLBACK];
  return work ? withAfterRollback(to, work) : to;
}

/**
 * Runs `work` in one transaction; a unique or foreign-key violation becomes a 409. Never call a
 * connector inside: PGlite has one connection, and a CA call must not hold row locks anyway.
 */
export async function inTransaction<T>(
  deps: Pick<ServiceDeps, 'db'>,
  work: (trx: Transaction<Database>) => Promise<T>,
): Promise<T> {
  try {
    return await deps.db.transaction().execute(work);
  } catch (error) {
    const afterRollback = (error as { [AFTER_ROLLBACK]?: AfterRollback } | null)?.[AFTER_ROLLBACK];
    if (afterRollback) {
      // Once: an outer inTransaction (none today) must not record it again.
      delete (error as { [AFTER_ROLLBACK]?: AfterRollback })[AFTER_ROLLBACK];
      await afterRollback(deps.db);
    }
    throw databaseConflict(error) ?? error;
  }
}
