import { type Kysely, sql } from 'kysely';

/** Renewal policies addressed to an agent group: a member makes the CSR of each renewal. */
const UP: string[] = [
  `CREATE TABLE renewal_policy_agent_groups (
    renewal_policy_id text PRIMARY KEY REFERENCES renewal_policies(id) ON DELETE CASCADE,
    group_id text NOT NULL REFERENCES agent_groups(id) ON DELETE RESTRICT
  )`,
  `CREATE INDEX renewal_policy_agent_groups_group_idx ON renewal_policy_agent_groups (group_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE renewal_policy_agent_groups').execute(db);
}
