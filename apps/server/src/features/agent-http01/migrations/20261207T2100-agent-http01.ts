import { type Kysely, sql } from 'kysely';

/** HTTP-01 challenges served by agents for ACME orders (`http_served_by: agent`). */
const UP: string[] = [
  `CREATE TABLE agent_http01_challenges (
    id text PRIMARY KEY,
    job_id text NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    certificate_id text NOT NULL,
    order_id text NOT NULL,
    tokens jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'served', 'failed', 'closed')),
    error text,
    expires_at timestamptz NOT NULL,
    served_at timestamptz,
    closed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX agent_http01_challenges_job_idx ON agent_http01_challenges (job_id)`,
  `CREATE INDEX agent_http01_challenges_open_idx ON agent_http01_challenges (agent_id) WHERE status IN ('pending', 'served')`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE agent_http01_challenges').execute(db);
}
