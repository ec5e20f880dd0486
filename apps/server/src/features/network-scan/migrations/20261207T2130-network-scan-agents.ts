import { type Kysely, sql } from 'kysely';

/**
 * A scan target may be run by an agent (or by a member of an agent group) instead of the server:
 * the scan is recorded as running with the agent that was handed it, and that agent reports it.
 */
const UP: string[] = [
  `ALTER TABLE network_scan_targets ADD COLUMN agent_id text REFERENCES agents(id)`,
  `ALTER TABLE network_scan_targets ADD COLUMN agent_group_id text REFERENCES agent_groups(id)`,
  `ALTER TABLE network_scan_targets ADD CONSTRAINT network_scan_targets_one_runner
     CHECK (agent_id IS NULL OR agent_group_id IS NULL)`,
  `ALTER TABLE network_scans ADD COLUMN agent_id text`,
  `ALTER TABLE network_scans ADD COLUMN handed_out_at timestamptz`,
  `CREATE INDEX network_scans_agent_idx ON network_scans (agent_id, status) WHERE agent_id IS NOT NULL`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP INDEX network_scans_agent_idx').execute(db);
  await sql.raw('ALTER TABLE network_scans DROP COLUMN handed_out_at').execute(db);
  await sql.raw('ALTER TABLE network_scans DROP COLUMN agent_id').execute(db);
  await sql.raw('ALTER TABLE network_scan_targets DROP CONSTRAINT network_scan_targets_one_runner').execute(db);
  await sql.raw('ALTER TABLE network_scan_targets DROP COLUMN agent_group_id').execute(db);
  await sql.raw('ALTER TABLE network_scan_targets DROP COLUMN agent_id').execute(db);
}
