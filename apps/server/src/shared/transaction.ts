import type { Transaction } from 'kysely';
import type { Database } from '../db/tables.js';
import type { ServiceDeps } from './service-deps.js';
import { databaseConflict } from './service-errors.js';

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
    throw databaseConflict(error) ?? error;
  }
}
