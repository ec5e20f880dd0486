import { type Kysely, Migrator } from 'kysely';
import { renameLegacyMigrations } from './legacy-migration-names.js';
import { MIGRATIONS } from './migration-index.js';

/** Brings the schema up to date; runs at every boot, under kysely's migration lock. */
/** Runs every pending migration; resolves to how many ran (0 on an up-to-date database). */
export async function migrateToLatest(db: Kysely<unknown>): Promise<number> {
  await renameLegacyMigrations(db);
  // Names start with a UTC timestamp: a migration must sort after every one already run.
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...MIGRATIONS }) } });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(
      `database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
  return results?.filter((r) => r.status === 'Success').length ?? 0;
}
