import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from './open-database.js';

describe('openDatabase on an on-disk PGlite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'certctl-open-db-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('migrates a fresh directory, reopens it with the small memory settings, and keeps the data', async () => {
    const first = await openDatabase({ dataDir: join(dir, 'db') });
    // The instance handed back is the reopened one: the startup settings are in force and it answers.
    const shared = await sql<{ sharedBuffers: string }>`SHOW shared_buffers`.execute(first.db);
    expect(shared.rows[0]?.sharedBuffers).toBe('16MB');
    await sql`INSERT INTO teams (id, name) VALUES ('team_keep', 'kept across reopen')`.execute(first.db);
    await first.close();

    const second = await openDatabase({ dataDir: join(dir, 'db') });
    const kept = await second.db.selectFrom('teams').select('name').where('id', '=', 'team_keep').execute();
    expect(kept).toEqual([{ name: 'kept across reopen' }]);
    expect((await sql<{ workMem: string }>`SHOW work_mem`.execute(second.db)).rows[0]?.workMem).toBe('2MB');
    await second.close();
  });
});
