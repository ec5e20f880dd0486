import { type Kysely, sql } from 'kysely';

/** Notifications an operator has marked as read (the dashboard's unread count). */
const UP: string[] = [
  'ALTER TABLE notification_outbox ADD COLUMN read_at timestamptz',
  'ALTER TABLE notification_outbox ADD COLUMN read_by text',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE notification_outbox DROP COLUMN read_by').execute(db);
  await sql.raw('ALTER TABLE notification_outbox DROP COLUMN read_at').execute(db);
}
