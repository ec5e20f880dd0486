import { type Kysely, sql } from 'kysely';

/**
 * Two-person approval compares principals (a stable id per API key), not key names: two keys may
 * carry the same name. Rows from before keep comparing names.
 */
const UP: string[] = [
  'ALTER TABLE approvals ADD COLUMN requested_by_principal text',
  'ALTER TABLE approvals ADD COLUMN decided_by_principal text',
  // The unnamed name-based CHECK of the initial migration (PostgreSQL names it approvals_check1).
  'ALTER TABLE approvals DROP CONSTRAINT approvals_check1',
  `ALTER TABLE approvals ADD CONSTRAINT approvals_two_person CHECK (
    state IN ('pending', 'expired') OR (
      decided_by IS NOT NULL AND CASE
        WHEN requested_by_principal IS NOT NULL AND decided_by_principal IS NOT NULL
          THEN decided_by_principal <> requested_by_principal
        ELSE decided_by <> requested_by
      END
    )
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE approvals DROP CONSTRAINT approvals_two_person').execute(db);
  await sql
    .raw(
      `ALTER TABLE approvals ADD CONSTRAINT approvals_check1 CHECK (state IN ('pending', 'expired') OR (decided_by IS NOT NULL AND decided_by <> requested_by))`,
    )
    .execute(db);
  await sql.raw('ALTER TABLE approvals DROP COLUMN decided_by_principal').execute(db);
  await sql.raw('ALTER TABLE approvals DROP COLUMN requested_by_principal').execute(db);
}
