import { type Kysely, sql } from 'kysely';

/**
 * Target config secrets: the config JSON Schema of each target type an agent has installed (so the
 * server can validate and encrypt configs of connectors it lacks), and on each target the secret
 * paths its stored config was encrypted with and which schema checked it.
 */
const UP: string[] = [
  `CREATE TABLE agent_target_types (
    agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    type text NOT NULL,
    config_schema jsonb NOT NULL,
    reported_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agent_id, type)
  )`,
  `ALTER TABLE targets ADD COLUMN config_secret_paths jsonb NOT NULL DEFAULT '[]'`,
  `ALTER TABLE targets ADD COLUMN config_schema_source text NOT NULL DEFAULT 'none' CHECK (config_schema_source IN ('server', 'agent', 'none'))`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE targets DROP COLUMN config_schema_source').execute(db);
  await sql.raw('ALTER TABLE targets DROP COLUMN config_secret_paths').execute(db);
  await sql.raw('DROP TABLE agent_target_types').execute(db);
}
