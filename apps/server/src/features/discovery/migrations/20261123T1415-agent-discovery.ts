import { type Kysely, sql } from 'kysely';

/** Certificates agents find on their hosts (deduplicated by fingerprint + agent + path), the scans that found them, and the agent's endpoint check of a deployment. */
const UP: string[] = [
  `CREATE TABLE discovery_scans (
    id text PRIMARY KEY,
    agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    directories jsonb NOT NULL DEFAULT '[]',
    certificates_found integer NOT NULL DEFAULT 0,
    errors jsonb NOT NULL DEFAULT '[]',
    scan_duration_ms integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX discovery_scans_agent_idx ON discovery_scans (agent_id, created_at)`,
  `CREATE TABLE discovered_certificates (
    id text PRIMARY KEY,
    agent_id text NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    source_path text NOT NULL,
    fingerprint_sha256 text NOT NULL,
    common_name text,
    sans jsonb NOT NULL DEFAULT '[]',
    serial text NOT NULL,
    subject text NOT NULL DEFAULT '',
    issuer text NOT NULL DEFAULT '',
    not_before timestamptz NOT NULL,
    not_after timestamptz NOT NULL,
    key_algorithm text NOT NULL DEFAULT '',
    certificate_pem text NOT NULL,
    status text NOT NULL DEFAULT 'unmanaged' CHECK (status IN ('unmanaged', 'managed', 'dismissed')),
    managed_certificate_id text REFERENCES certificates(id) ON DELETE SET NULL,
    dismiss_reason text,
    last_scan_id text REFERENCES discovery_scans(id) ON DELETE SET NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (fingerprint_sha256, agent_id, source_path)
  )`,
  `CREATE INDEX discovered_certificates_status_idx ON discovered_certificates (status, agent_id)`,
  `ALTER TABLE jobs ADD COLUMN verification jsonb`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE jobs DROP COLUMN verification').execute(db);
  await sql.raw('DROP TABLE discovered_certificates').execute(db);
  await sql.raw('DROP TABLE discovery_scans').execute(db);
}
