import { type Kysely, sql } from 'kysely';

/**
 * Answers of requests sent with an `Idempotency-Key`, per principal: a retry with the same key and
 * body gets the first answer again instead of creating a second resource.
 */
const UP: string[] = [
  `CREATE TABLE idempotency_keys (
    principal text NOT NULL,
    operation text NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    status integer,
    response jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, operation, key)
  )`,
  'CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE idempotency_keys').execute(db);
}
