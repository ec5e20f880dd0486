import { type Kysely, sql } from 'kysely';

/** The reason and cascade of each agent retirement. */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql
    .raw(`CREATE TABLE agent_retirements (
    agent_id text PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    reason text NOT NULL DEFAULT '',
    retired_by text NOT NULL,
    forced boolean NOT NULL DEFAULT false,
    cascade jsonb NOT NULL DEFAULT '{"target_ids": [], "job_ids": []}',
    retired_at timestamptz NOT NULL DEFAULT now()
  )`)
    .execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE agent_retirements').execute(db);
}
