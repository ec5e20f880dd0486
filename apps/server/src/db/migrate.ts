import { type Kysely, type Migration, Migrator } from 'kysely';
import * as initial from './migrations/0001-initial.js';
import * as estEnrollment from './migrations/0005-est-enrollment.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0005-est-enrollment': estEnrollment,
};

/** Brings the schema up to date; runs at every boot, under kysely's migration lock. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => MIGRATIONS } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
}
