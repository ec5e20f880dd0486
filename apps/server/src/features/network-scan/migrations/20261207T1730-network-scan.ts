import { type Kysely, sql } from 'kysely';

/**
 * Network TLS scan targets and their scan history. Findings go to the discovery triage table: a
 * server-run scan has no agent (agent_id NULL, deduplicated by fingerprint + endpoint), and every
 * finding says which kind of source found it.
 */
const UP: string[] = [
  `CREATE TABLE network_scan_targets (
    id text PRIMARY KEY,
    name text NOT NULL,
    cidrs jsonb NOT NULL DEFAULT '[]',
    hosts jsonb NOT NULL DEFAULT '[]',
    ports jsonb NOT NULL DEFAULT '[443]',
    enabled boolean NOT NULL DEFAULT true,
    scan_interval_hours integer NOT NULL DEFAULT 6,
    timeout_ms integer NOT NULL DEFAULT 5000,
    last_scan_at timestamptz,
    last_scan_duration_ms integer,
    last_scan_certs_found integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE network_scans (
    id text PRIMARY KEY,
    target_id text NOT NULL REFERENCES network_scan_targets(id) ON DELETE CASCADE,
    trigger text NOT NULL CHECK (trigger IN ('manual', 'schedule')),
    status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    started_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    duration_ms integer,
    endpoints_probed integer NOT NULL DEFAULT 0,
    certificates_found integer NOT NULL DEFAULT 0,
    new_certificates integer NOT NULL DEFAULT 0,
    outcomes jsonb NOT NULL DEFAULT '{"found":0,"refused":0,"timeout":0,"failed":0}',
    skipped jsonb NOT NULL DEFAULT '[]',
    errors jsonb NOT NULL DEFAULT '[]',
    summary text NOT NULL DEFAULT ''
  )`,
  `CREATE INDEX network_scans_target_idx ON network_scans (target_id, started_at)`,
  `ALTER TABLE discovered_certificates ALTER COLUMN agent_id DROP NOT NULL`,
  `ALTER TABLE discovered_certificates ADD COLUMN source text NOT NULL DEFAULT 'filesystem'`,
  `CREATE UNIQUE INDEX discovered_certificates_server_uq ON discovered_certificates (fingerprint_sha256, source_path) WHERE agent_id IS NULL`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP INDEX discovered_certificates_server_uq').execute(db);
  await sql.raw('ALTER TABLE discovered_certificates DROP COLUMN source').execute(db);
  await sql.raw('DELETE FROM discovered_certificates WHERE agent_id IS NULL').execute(db);
  await sql.raw('ALTER TABLE discovered_certificates ALTER COLUMN agent_id SET NOT NULL').execute(db);
  await sql.raw('DROP TABLE network_scans').execute(db);
  await sql.raw('DROP TABLE network_scan_targets').execute(db);
}
