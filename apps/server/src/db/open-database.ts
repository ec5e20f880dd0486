import { PGlite } from '@electric-sql/pglite';
import { CamelCasePlugin, Kysely, PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { migrateToLatest } from './migrate.js';
import type { Database } from './tables.js';

/** `db` or a transaction on it: every repository function takes the one it must run on. */
export type Executor = Kysely<Database>;

export type DialectName = 'pglite' | 'postgres';

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: DialectName;
  close(): Promise<void>;
}

function withPlugins(dialect: PostgresDialect | PGliteDialect): Kysely<Database> {
  // Nested keys are kept: jsonb columns hold snake_case connector configs and user tags.
  return new Kysely<Database>({ dialect, plugins: [new CamelCasePlugin({ maintainNestedObjectKeys: true })] });
}

/** A kysely instance over an existing PGlite (tests share one per file and clone it). */
export function kyselyOverPglite(pglite: PGlite): Kysely<Database> {
  return withPlugins(new PGliteDialect(pglite));
}

export interface OpenDatabaseOptions {
  /** PostgreSQL URL; without it, PGlite in `dataDir`. */
  url?: string;
  /** PGlite data directory; `memory://` for an in-memory database. */
  dataDir?: string;
  /** An already-open PGlite to use (tests); closed with the database unless `keepPglite`. */
  pglite?: PGlite;
  keepPglite?: boolean;
  maxConnections?: number;
  migrate?: boolean;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<OpenedDatabase> {
  let opened: OpenedDatabase;
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 25 });
    // An idle client that loses its server must not crash the process; the next query reports it.
    pool.on('error', () => {});
    const db = withPlugins(new PostgresDialect({ pool }));
    opened = { db, dialect: 'postgres', close: () => db.destroy() };
  } else {
    const pglite = options.pglite ?? (await PGlite.create(options.dataDir ?? 'memory://'));
    const db = kyselyOverPglite(pglite);
    opened = {
      db,
      dialect: 'pglite',
      close: async () => {
        // The dialect's destroy closes PGlite itself: skip it for a borrowed instance.
        if (!options.keepPglite && !pglite.closed) await db.destroy();
      },
    };
  }
  if (options.migrate !== false) {
    try {
      await migrateToLatest(opened.db as Kysely<unknown>);
    } catch (error) {
      await opened.close();
      throw error;
    }
  }
  return opened;
}
