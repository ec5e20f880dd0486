import { sql } from 'kysely';
import { expect, it } from 'vitest';
import { describeEachDialect } from '../testing/each-dialect.js';
import { newId } from './ids.js';
import { migrateToLatest } from './migrate.js';

describeEachDialect('database schema', (ctx) => {
  it('migrates idempotently at every boot', async () => {
    await migrateToLatest(ctx.database.db as never);
    const tables = await sql<{
      tableName: string;
    }>`select table_name from information_schema.tables where table_schema = 'public'`.execute(ctx.database.db);
    const names = tables.rows.map((r) => r.tableName);
    for (const table of [
      'certificates',
      'certificate_versions',
      'jobs',
      'audit_events',
      'approvals',
      'crl_cache',
      'api_keys',
    ]) {
      expect(names).toContain(table);
    }
  });

  it('rejects UPDATE and DELETE on audit events', async () => {
    const { db } = ctx.database;
    const id = newId('audit');
    await db
      .insertInto('auditEvents')
      .values({ id, actor: 'test', actorType: 'user', action: 'x', resourceType: 'y' })
      .execute();
    await expect(
      db.updateTable('auditEvents').set({ action: 'tampered' }).where('id', '=', id).execute(),
    ).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('auditEvents').where('id', '=', id).execute()).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_events`.execute(db)).rejects.toThrow(/append-only/);
    const row = await db.selectFrom('auditEvents').select('action').where('id', '=', id).executeTakeFirstOrThrow();
    expect(row.action).toBe('x');
  });

  it('keeps jsonb keys as written (snake_case configs survive the camel-case plugin)', async () => {
    const { db } = ctx.database;
    await db
      .insertInto('issuers')
      .values({
        id: 'iss-json',
        name: 'json',
        type: 'local',
        config: JSON.stringify({ validity_days: 90, nested_key: { inner_key: 1 } }),
      })
      .execute();
    const row = await db.selectFrom('issuers').select('config').where('id', '=', 'iss-json').executeTakeFirstOrThrow();
    expect(row.config).toEqual({ validity_days: 90, nested_key: { inner_key: 1 } });
  });
});
