import { type Kysely, sql } from 'kysely';

/** Endpoint health checks (what a TLS endpoint serves, continuously) and their history. */
const UP: string[] = [
  `CREATE TABLE endpoint_health_checks (
    id text PRIMARY KEY,
    name text NOT NULL,
    endpoint text NOT NULL,
    server_name text,
    starttls text CHECK (starttls IN ('smtp', 'imap', 'pop3')),
    certificate_id text REFERENCES certificates(id) ON DELETE CASCADE,
    expected_fingerprint text,
    enabled boolean NOT NULL DEFAULT true,
    check_interval_seconds integer NOT NULL DEFAULT 300,
    degraded_threshold integer NOT NULL DEFAULT 2,
    down_threshold integer NOT NULL DEFAULT 5,
    status text NOT NULL DEFAULT 'unknown' CHECK (status IN ('unknown', 'healthy', 'degraded', 'down', 'cert_mismatch')),
    consecutive_failures integer NOT NULL DEFAULT 0,
    observed_fingerprint text,
    observed_serial text,
    tls_version text,
    cipher text,
    problems jsonb NOT NULL DEFAULT '[]',
    last_checked_at timestamptz,
    next_check_at timestamptz NOT NULL DEFAULT now(),
    status_changed_at timestamptz,
    incident_key text,
    acknowledged boolean NOT NULL DEFAULT false,
    acknowledged_by text,
    acknowledged_at timestamptz,
    source text NOT NULL DEFAULT 'manual' CHECK (source IN ('manual', 'deployment')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (endpoint, certificate_id)
  )`,
  `CREATE INDEX endpoint_health_checks_due_idx ON endpoint_health_checks (enabled, next_check_at)`,
  `CREATE TABLE endpoint_health_history (
    id text PRIMARY KEY,
    check_id text NOT NULL REFERENCES endpoint_health_checks(id) ON DELETE CASCADE,
    status text NOT NULL,
    observed_fingerprint text,
    observed_serial text,
    tls_version text,
    problems jsonb NOT NULL DEFAULT '[]',
    latency_ms integer NOT NULL DEFAULT 0,
    checked_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX endpoint_health_history_check_idx ON endpoint_health_history (check_id, checked_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE endpoint_health_history').execute(db);
  await sql.raw('DROP TABLE endpoint_health_checks').execute(db);
}
