import { type Kysely, sql } from 'kysely';

/** Bulk operations (revoke, renew, reassign) and their per-certificate items, so progress is readable while they run. */
const UP: string[] = [
  `CREATE TABLE bulk_operations (
    id text PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('revoke', 'renew', 'reassign')),
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed')),
    requested_by text NOT NULL,
    idempotency_key text NOT NULL,
    request jsonb NOT NULL,
    total integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
  )`,
  'CREATE INDEX bulk_operations_idempotency ON bulk_operations (requested_by, idempotency_key, created_at)',
  "CREATE INDEX bulk_operations_running ON bulk_operations (created_at) WHERE status = 'running'",
  `CREATE TABLE bulk_operation_items (
    operation_id text NOT NULL REFERENCES bulk_operations(id) ON DELETE CASCADE,
    certificate_id text NOT NULL,
    position integer NOT NULL,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'succeeded', 'skipped', 'failed')),
    lease_expires_at timestamptz,
    job_id text,
    detail text,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (operation_id, certificate_id)
  )`,
  `CREATE INDEX bulk_operation_items_open ON bulk_operation_items (operation_id, position) WHERE status IN ('pending', 'running')`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE bulk_operation_items').execute(db);
  await sql.raw('DROP TABLE bulk_operations').execute(db);
}
