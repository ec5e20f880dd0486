import { type Kysely, sql } from 'kysely';

/** Agent groups (dynamic criteria plus manual include/exclude), agent labels, and targets addressed to a group. */
const UP: string[] = [
  `CREATE TABLE agent_groups (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    match_os text,
    match_architecture text,
    match_hostname text,
    match_labels jsonb NOT NULL DEFAULT '{}',
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE agent_group_members (
    group_id text NOT NULL REFERENCES agent_groups(id) ON DELETE CASCADE,
    agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    membership text NOT NULL CHECK (membership IN ('include', 'exclude')),
    PRIMARY KEY (group_id, agent_id)
  )`,
  `CREATE TABLE agent_labels (
    agent_id text PRIMARY KEY REFERENCES agents(id) ON DELETE CASCADE,
    labels jsonb NOT NULL DEFAULT '{}',
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE target_agent_groups (
    target_id text PRIMARY KEY REFERENCES targets(id) ON DELETE CASCADE,
    group_id text NOT NULL REFERENCES agent_groups(id) ON DELETE RESTRICT
  )`,
  `CREATE INDEX target_agent_groups_group_idx ON target_agent_groups (group_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['target_agent_groups', 'agent_labels', 'agent_group_members', 'agent_groups'])
    await sql.raw(`DROP TABLE ${table}`).execute(db);
}
