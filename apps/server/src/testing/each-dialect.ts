import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe } from 'vitest';
import { type DialectName, type OpenedDatabase, openDatabase } from '../db/open-database.js';
import { createScratchPostgres } from './postgres-database.js';

export interface DialectContext {
  dialect: DialectName;
  /** Set in beforeAll. */
  database: OpenedDatabase;
  /** PostgreSQL URL of this file's scratch database (postgres only). */
  url?: string;
  /** The file's PGlite instance (pglite only), for servers started on the same database. */
  pglite?: PGlite;
}

/**
 * Runs the same tests on embedded PGlite and on PostgreSQL, each with its own migrated database
 * for the whole file (one PGlite instance per file: it costs seconds and 300 MB to start).
 */
export function describeEachDialect(name: string, body: (ctx: DialectContext) => void): void {
  for (const dialect of ['pglite', 'postgres'] as const) {
    describe(`${name} [${dialect}]`, () => {
      const ctx = { dialect } as DialectContext;
      let drop: (() => Promise<void>) | undefined;
      beforeAll(async () => {
        if (dialect === 'postgres') {
          const scratch = await createScratchPostgres();
          drop = scratch.drop;
          ctx.url = scratch.url;
          ctx.database = await openDatabase({ url: scratch.url, maxConnections: 10 });
        } else {
          ctx.pglite = await PGlite.create('memory://');
          ctx.database = await openDatabase({ pglite: ctx.pglite, keepPglite: true });
        }
      });
      afterAll(async () => {
        await ctx.database?.close();
        await ctx.pglite?.close();
        await drop?.();
      });
      body(ctx);
    });
  }
}
