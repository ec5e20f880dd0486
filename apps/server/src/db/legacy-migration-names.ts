import { type Kysely, sql } from 'kysely';

/**
 * The names migrations ran under before they were named by timestamp. A database migrated under
 * them is renamed at boot, so its history matches the index and nothing runs twice.
 */
export const LEGACY_MIGRATION_NAMES: Readonly<Record<string, string>> = {
  '0001-initial': '20261123T0943-initial',
  '0002-agent-discovery': '20261123T1415-agent-discovery',
  '0004-acme-server': '20261123T1416-acme-server',
  '0005-est-enrollment': '20261123T1522-est-enrollment',
  '0006-notifications': '20261123T1523-notifications',
  '0007-scep-intune': '20261202T1628-scep-intune',
  '0008-target-secrets': '20261203T0743-target-secrets',
};

/**
 * Renames legacy rows of kysely's migration table in one transaction (concurrent replicas: the
 * second finds nothing left to rename). The old names could run out of order, so the rows' run
 * times are also handed out again in the new names' order: kysely checks that the executed
 * migrations, sorted by run time, are the first ones of the index.
 */
export async function renameLegacyMigrations(db: Kysely<unknown>): Promise<number> {
  const table = await sql<{ found: string | null }>`select to_regclass('kysely_migration')::text as found`.execute(db);
  if (!table.rows[0]?.found) return 0;
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ name: string; timestamp: string }>`
      select name, "timestamp" from kysely_migration
      where name in (${sql.join(Object.keys(LEGACY_MIGRATION_NAMES))})
      for update`.execute(trx);
    const runTimes = rows.map((r) => r.timestamp).sort((a, b) => new Date(a).getTime() - new Date(b).getTime());
    const renamed = rows
      .map((r) => ({ from: r.name, to: LEGACY_MIGRATION_NAMES[r.name]! }))
      .sort((a, b) => (a.to < b.to ? -1 : 1));
    for (const [i, row] of renamed.entries()) {
      await sql`update kysely_migration set name = ${row.to}, "timestamp" = ${runTimes[i]} where name = ${row.from}`.execute(
        trx,
      );
    }
    return renamed.length;
  });
}
