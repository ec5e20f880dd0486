import { type Kysely, sql } from 'kysely';

/** Every scan of a discovery source (the source row keeps only the last one's facts), pruned to the newest N per source. */
const UP: string[] = [
  `CREATE TABLE discovery_source_runs (
    id text PRIMARY KEY,
    source_id text NOT NULL REFERENCES discovery_sources(id) ON DELETE CASCADE,
    trigger text NOT NULL CHECK (trigger IN ('manual', 'schedule')),
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    duration_ms integer,
    found integer NOT NULL DEFAULT 0,
    new_certificates integer NOT NULL DEFAULT 0,
    errors jsonb NOT NULL DEFAULT '[]',
    error text
  )`,
  `CREATE INDEX discovery_source_runs_source_idx ON discovery_source_runs (source_id, started_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE discovery_source_runs').execute(db);
}
