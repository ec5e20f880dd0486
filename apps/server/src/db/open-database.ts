import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
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

/**
 * PGlite's own start parameters plus smaller memory settings than PostgreSQL's defaults (a single user
 * in one process): PGlite's WebAssembly memory only grows, so every buffer it ever fills stays resident.
 * Measured with tooling/bench (memory suite): restart idle ~400 -> ~300 MB, first-start peak ~100 MB
 * lower, in a process with the server's sources loaded.
 */
export const PGLITE_START_PARAMS = [
  ...PGlite.defaultStartParams,
  ...['shared_buffers=16MB', 'wal_buffers=1MB', 'temp_buffers=1MB', 'work_mem=2MB', 'maintenance_work_mem=8MB'].flatMap(
    (setting) => ['-c', setting],
  ),
];

const createPglite = (dataDir: string) => PGlite.create(dataDir, { startParams: PGLITE_START_PARAMS });

// initdb alone takes PGlite to ~850 MB RSS, memory the process then keeps (WebAssembly memory does not
// shrink). So a fresh directory is initialised by a short-lived child process (the same PGlite with the
// same settings), and this process only ever opens an initialised directory.
const INITDB_SCRIPT = `const { PGlite } = await import(process.argv[1]);
const pglite = await PGlite.create(process.argv[2], { startParams: JSON.parse(process.argv[3]) });
await pglite.close();`;

async function initdbInChildProcess(dataDir: string): Promise<void> {
  if (dataDir.startsWith('memory://') || existsSync(join(dataDir, 'PG_VERSION'))) return;
  await promisify(execFile)(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      INITDB_SCRIPT,
      import.meta.resolve('@electric-sql/pglite'),
      dataDir,
      JSON.stringify(PGLITE_START_PARAMS),
    ],
    { maxBuffer: 16 * 1024 * 1024 },
  );
}

/** A database whose data lives in PGlite in this process, opened by us (not borrowed). */
function openOwnPglite(pglite: PGlite): OpenedDatabase {
  const db = kyselyOverPglite(pglite);
  return { db, dialect: 'pglite', close: async () => void (pglite.closed || (await db.destroy())) };
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<OpenedDatabase> {
  let opened: OpenedDatabase;
  const dataDir = options.dataDir ?? 'memory://';
  const ownPglite = !options.url && !options.pglite;
  if (options.url) {
    const pool = new pg.Pool({ connectionString: options.url, max: options.maxConnections ?? 25 });
    // A client that loses its server must not crash the process; the next query reports it (a 503).
    // Idle ones report to the pool; checked-out ones (a leader-lock session between its queries)
    // report to themselves, and pg throws an 'error' event nobody listens to.
    pool.on('error', () => {});
    pool.on('connect', (client) => client.on('error', () => {}));
    const db = withPlugins(new PostgresDialect({ pool }));
    opened = { db, dialect: 'postgres', close: () => db.destroy() };
  } else if (ownPglite) {
    await initdbInChildProcess(dataDir);
    opened = openOwnPglite(await createPglite(dataDir));
  } else {
    const pglite = options.pglite!;
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
    let ran: number;
    try {
      ran = await migrateToLatest(opened.db as Kysely<unknown>);
    } catch (error) {
      await opened.close();
      throw error;
    }
    // The same for the schema: after migrations ran (always on a first start), an on-disk PGlite we
    // opened is closed and opened again; the old instance's memory goes at the next major GC. In memory
    // there is nothing to reopen.
    if (ran > 0 && ownPglite && !dataDir.startsWith('memory://')) {
      await opened.close();
      opened = openOwnPglite(await createPglite(dataDir));
    }
  }
  return opened;
}
