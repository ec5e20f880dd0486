import { sql } from 'kysely';
import type { ServiceDeps } from '../shared/service-deps.js';

/**
 * Runs `work` only if this replica wins the loop's PostgreSQL advisory lock, held on a dedicated
 * session for the run (the work itself uses the pool). PGlite is one process behind a lock file:
 * there is nobody to race, and holding its single connection would deadlock the work.
 */
export async function withLeaderLock<T>(
  deps: Pick<ServiceDeps, 'db' | 'dialect'>,
  key: number,
  work: () => Promise<T>,
): Promise<{ ran: true; result: T } | { ran: false }> {
  if (deps.dialect === 'pglite') return { ran: true, result: await work() };
  return deps.db.connection().execute(async (session) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(${key}) as locked`.execute(session);
    if (!rows[0]?.locked) return { ran: false as const };
    try {
      return { ran: true as const, result: await work() };
    } finally {
      await sql`select pg_advisory_unlock(${key})`.execute(session);
    }
  });
}
