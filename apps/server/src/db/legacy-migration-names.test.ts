import { PGlite } from '@electric-sql/pglite';
import { type Kysely, Migrator, sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { createScratchPostgres } from '../testing/postgres-database.js';
import { LEGACY_MIGRATION_NAMES } from './legacy-migration-names.js';
import { migrateToLatest } from './migrate.js';
import { MIGRATIONS } from './migration-index.js';
import { type OpenedDatabase, openDatabase } from './open-database.js';

const LEGACY = Object.keys(LEGACY_MIGRATION_NAMES);

/** Migrates the way the server did before migrations were timestamped: old names, in the order given. */
async function migrateUnderOldNames(db: Kysely<unknown>, names: readonly string[]): Promise<void> {
  const known = new Set<string>(await executedIfAny(db));
  for (const name of names) {
    known.add(name);
    const migrations = Object.fromEntries(
      [...known].map((old) => [old, MIGRATIONS[LEGACY_MIGRATION_NAMES[old]!]!] as const),
    );
    const migrator = new Migrator({
      db,
      provider: { getMigrations: async () => migrations },
      allowUnorderedMigrations: true,
    });
    const { error } = await migrator.migrateToLatest();
    if (error) throw error;
  }
}

async function executedIfAny(db: Kysely<unknown>): Promise<string[]> {
  const table = await sql<{ found: string | null }>`select to_regclass('kysely_migration')::text as found`.execute(db);
  return table.rows[0]?.found ? executed(db) : [];
}

async function executed(db: Kysely<unknown>): Promise<string[]> {
  const { rows } = await sql<{ name: string }>`select name from kysely_migration order by name`.execute(db);
  return rows.map((r) => r.name);
}

for (const dialect of ['pglite', 'postgres'] as const) {
  describe(`migrations named before timestamps [${dialect}]`, () => {
    let opened: OpenedDatabase | undefined;
    let cleanup: (() => Promise<void>) | undefined;
    afterEach(async () => {
      await opened?.close();
      await cleanup?.();
      opened = undefined;
      cleanup = undefined;
    });

    const open = async () => {
      if (dialect === 'postgres') {
        const scratch = await createScratchPostgres();
        cleanup = scratch.drop;
        opened = await openDatabase({ url: scratch.url, maxConnections: 2, migrate: false });
      } else {
        opened = await openDatabase({ pglite: await PGlite.create('memory://'), migrate: false });
      }
      return opened.db as unknown as Kysely<unknown>;
    };

    it('recognises a database migrated under the old names, runs nothing twice and keeps its rows', async () => {
      const db = await open();
      await migrateUnderOldNames(db, LEGACY);
      await sql`insert into teams (id, name) values ('team-kept', 'kept')`.execute(db);
      await migrateToLatest(db);
      expect(await executed(db)).toEqual(Object.keys(MIGRATIONS).sort());
      const { rows } = await sql<{ name: string }>`select name from teams where id = 'team-kept'`.execute(db);
      expect(rows).toEqual([{ name: 'kept' }]);
      await migrateToLatest(db);
    });

    it('accepts old-name histories that ran out of order, and finishes a partly migrated one', async () => {
      const db = await open();
      // 0006 landed (and ran here) before 0005, and 0008 never ran.
      await migrateUnderOldNames(db, [
        '0001-initial',
        '0002-agent-discovery',
        '0004-acme-server',
        '0006-notifications',
      ]);
      await migrateUnderOldNames(db, ['0005-est-enrollment', '0007-scep-intune']);
      await migrateToLatest(db);
      expect(await executed(db)).toEqual(Object.keys(MIGRATIONS).sort());
      const { rows } = await sql<{ n: number }>`select count(*)::int as n from kysely_migration`.execute(db);
      expect(rows[0]?.n).toBe(Object.keys(MIGRATIONS).length);
    });
  });
}
