import { type Kysely, sql } from 'kysely';

/** Configured discovery connectors the server runs on a schedule (same instance columns as issuers and notifiers). */
const UP: string[] = [
  `CREATE TABLE discovery_sources (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    type text NOT NULL,
    config jsonb NOT NULL DEFAULT '{}',
    enabled boolean NOT NULL DEFAULT true,
    source text NOT NULL DEFAULT 'database' CHECK (source IN ('database', 'env', 'builtin')),
    test_status text NOT NULL DEFAULT 'untested' CHECK (test_status IN ('untested', 'ok', 'failed')),
    test_detail text,
    last_tested_at timestamptz,
    scan_interval_minutes integer NOT NULL DEFAULT 360,
    last_scan_at timestamptz,
    last_scan_status text CHECK (last_scan_status IN ('succeeded', 'failed')),
    last_scan_found integer,
    last_scan_created integer,
    last_scan_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE discovery_sources').execute(db);
}
