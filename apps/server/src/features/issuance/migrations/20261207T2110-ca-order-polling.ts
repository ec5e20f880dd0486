import { type Kysely, sql } from 'kysely';

/**
 * A pending CA order's last reported state (shown on the certificate) and how many checks have seen
 * that state, which is what the follow-up backoff grows with (it starts over when the state changes).
 */
const UP: string[] = [
  'ALTER TABLE jobs ADD COLUMN ca_order_state text',
  'ALTER TABLE jobs ADD COLUMN ca_order_polls integer NOT NULL DEFAULT 0',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE jobs DROP COLUMN ca_order_polls').execute(db);
  await sql.raw('ALTER TABLE jobs DROP COLUMN ca_order_state').execute(db);
}
