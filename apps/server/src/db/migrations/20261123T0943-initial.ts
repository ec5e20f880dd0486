import { type Kysely, sql } from 'kysely';

/** Statements in order; kept separate because both drivers run one statement per query. */
const UP: string[] = [
  `CREATE TABLE server_state (
    key text PRIMARY KEY,
    value jsonb NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE teams (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE owners (
    id text PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL,
    team_id text REFERENCES teams(id) ON DELETE RESTRICT,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE issuers (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    type text NOT NULL,
    config jsonb NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    source text NOT NULL DEFAULT 'database' CHECK (source IN ('database', 'env', 'builtin')),
    test_status text NOT NULL DEFAULT 'untested' CHECK (test_status IN ('untested', 'ok', 'failed')),
    test_detail text,
    last_tested_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE connector_secrets (
    instance_id text NOT NULL,
    name text NOT NULL,
    value_encrypted text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (instance_id, name)
  )`,
  `CREATE TABLE certificate_profiles (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    allowed_key_algorithms jsonb NOT NULL,
    max_ttl_seconds integer NOT NULL DEFAULT 0 CHECK (max_ttl_seconds >= 0),
    allowed_ekus jsonb NOT NULL,
    required_san_patterns jsonb NOT NULL DEFAULT '[]',
    must_staple boolean NOT NULL DEFAULT false,
    requires_approval boolean NOT NULL DEFAULT false,
    allow_short_lived boolean NOT NULL DEFAULT false,
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE renewal_policies (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    renewal_window_days integer NOT NULL DEFAULT 30 CHECK (renewal_window_days BETWEEN 1 AND 365),
    auto_renew boolean NOT NULL DEFAULT true,
    max_retries integer NOT NULL DEFAULT 3 CHECK (max_retries BETWEEN 0 AND 20),
    retry_interval_seconds integer NOT NULL DEFAULT 300 CHECK (retry_interval_seconds > 0),
    alert_thresholds_days jsonb NOT NULL DEFAULT '[30,14,7,0]',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE agents (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    hostname text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'registered' CHECK (status IN ('registered', 'online', 'offline', 'retired')),
    last_heartbeat_at timestamptz,
    os text NOT NULL DEFAULT '',
    architecture text NOT NULL DEFAULT '',
    ip_address text NOT NULL DEFAULT '',
    version text NOT NULL DEFAULT '',
    retired_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE api_keys (
    id text PRIMARY KEY,
    name text NOT NULL,
    key_hash text NOT NULL UNIQUE,
    key_prefix text NOT NULL,
    role text NOT NULL CHECK (role IN ('admin', 'operator', 'viewer', 'agent')),
    agent_id text REFERENCES agents(id) ON DELETE CASCADE,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz,
    revoked_at timestamptz,
    CHECK ((role = 'agent') = (agent_id IS NOT NULL))
  )`,
  `CREATE TABLE targets (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    type text NOT NULL,
    agent_id text REFERENCES agents(id) ON DELETE RESTRICT,
    config jsonb NOT NULL DEFAULT '{}',
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE certificates (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    common_name text NOT NULL,
    sans jsonb NOT NULL DEFAULT '[]',
    environment text NOT NULL DEFAULT '',
    tags jsonb NOT NULL DEFAULT '{}',
    owner_id text NOT NULL REFERENCES owners(id) ON DELETE RESTRICT,
    team_id text NOT NULL REFERENCES teams(id) ON DELETE RESTRICT,
    issuer_id text NOT NULL REFERENCES issuers(id) ON DELETE RESTRICT,
    profile_id text REFERENCES certificate_profiles(id) ON DELETE RESTRICT,
    renewal_policy_id text NOT NULL REFERENCES renewal_policies(id) ON DELETE RESTRICT,
    agent_id text REFERENCES agents(id) ON DELETE RESTRICT,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'active', 'expiring', 'expired', 'renewal_in_progress', 'failed', 'revoked', 'archived')),
    expires_at timestamptz,
    current_version_id text,
    last_renewal_at timestamptz,
    revoked_at timestamptz,
    revocation_reason text,
    archived_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  "CREATE INDEX certificates_expires_at ON certificates (expires_at) WHERE status NOT IN ('archived', 'revoked')",
  'CREATE INDEX certificates_status ON certificates (status)',
  'CREATE INDEX certificates_owner ON certificates (owner_id)',
  'CREATE INDEX certificates_team ON certificates (team_id)',
  'CREATE INDEX certificates_issuer ON certificates (issuer_id)',
  `CREATE TABLE certificate_versions (
    id text PRIMARY KEY,
    certificate_id text NOT NULL REFERENCES certificates(id) ON DELETE RESTRICT,
    version integer NOT NULL,
    issuer_id text NOT NULL,
    serial text NOT NULL,
    not_before timestamptz NOT NULL,
    not_after timestamptz NOT NULL,
    fingerprint_sha256 text NOT NULL UNIQUE,
    certificate_pem text NOT NULL,
    chain_pem text NOT NULL DEFAULT '',
    csr_pem text,
    key_algorithm text NOT NULL DEFAULT '',
    key_size integer,
    job_id text,
    ca_order_id text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (certificate_id, version),
    UNIQUE (issuer_id, serial)
  )`,
  `CREATE TABLE certificate_targets (
    certificate_id text NOT NULL REFERENCES certificates(id) ON DELETE CASCADE,
    target_id text NOT NULL REFERENCES targets(id) ON DELETE CASCADE,
    PRIMARY KEY (certificate_id, target_id)
  )`,
  `CREATE TABLE jobs (
    id text PRIMARY KEY,
    type text NOT NULL CHECK (type IN ('issuance', 'renewal', 'deployment')),
    certificate_id text NOT NULL REFERENCES certificates(id) ON DELETE RESTRICT,
    target_id text REFERENCES targets(id) ON DELETE SET NULL,
    agent_id text REFERENCES agents(id) ON DELETE SET NULL,
    status text NOT NULL CHECK (status IN ('pending', 'awaiting_csr', 'awaiting_approval', 'running', 'waiting_on_ca', 'succeeded', 'failed', 'cancelled', 'dead')),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 3,
    next_run_at timestamptz NOT NULL DEFAULT now(),
    lease_owner text,
    lease_expires_at timestamptz,
    last_error text,
    csr_pem text,
    ca_order_id text,
    ca_order_deadline timestamptz,
    result_version_id text,
    trigger text NOT NULL DEFAULT 'manual',
    requested_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    started_at timestamptz,
    completed_at timestamptz
  )`,
  // One open issuance or renewal per certificate, whichever replica tries to create a second.
  `CREATE UNIQUE INDEX jobs_one_open_issuance ON jobs (certificate_id)
    WHERE type IN ('issuance', 'renewal') AND status IN ('pending', 'awaiting_csr', 'awaiting_approval', 'running', 'waiting_on_ca')`,
  `CREATE INDEX jobs_claimable ON jobs (next_run_at) WHERE status IN ('pending', 'running', 'waiting_on_ca')`,
  'CREATE INDEX jobs_certificate ON jobs (certificate_id)',
  'CREATE INDEX jobs_agent ON jobs (agent_id) WHERE agent_id IS NOT NULL',
  `CREATE TABLE approvals (
    id text PRIMARY KEY,
    certificate_id text NOT NULL REFERENCES certificates(id) ON DELETE RESTRICT,
    job_id text NOT NULL UNIQUE REFERENCES jobs(id) ON DELETE RESTRICT,
    profile_id text,
    requested_by text NOT NULL,
    state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'approved', 'rejected', 'expired')),
    decided_by text,
    decided_at timestamptz,
    note text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((state = 'pending') = (decided_at IS NULL)),
    CHECK (state IN ('pending', 'expired') OR (decided_by IS NOT NULL AND decided_by <> requested_by))
  )`,
  `CREATE TABLE revocations (
    id text PRIMARY KEY,
    certificate_id text NOT NULL REFERENCES certificates(id) ON DELETE RESTRICT,
    version_id text NOT NULL REFERENCES certificate_versions(id) ON DELETE RESTRICT,
    issuer_id text NOT NULL,
    serial text NOT NULL,
    reason text NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now(),
    revoked_by text NOT NULL,
    issuer_notified boolean NOT NULL DEFAULT false,
    issuer_error text,
    UNIQUE (issuer_id, serial)
  )`,
  `CREATE TABLE crl_cache (
    issuer_id text PRIMARY KEY,
    crl_number bigint NOT NULL DEFAULT 0,
    crl_der bytea,
    this_update timestamptz,
    next_update timestamptz,
    revoked_count integer NOT NULL DEFAULT 0,
    stale boolean NOT NULL DEFAULT true,
    generated_at timestamptz
  )`,
  `CREATE TABLE audit_events (
    seq bigserial PRIMARY KEY,
    id text NOT NULL UNIQUE,
    actor text NOT NULL,
    actor_type text NOT NULL CHECK (actor_type IN ('user', 'agent', 'system')),
    action text NOT NULL,
    resource_type text NOT NULL,
    resource_id text NOT NULL DEFAULT '',
    details jsonb NOT NULL DEFAULT '{}',
    request_id text,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  'CREATE INDEX audit_events_resource ON audit_events (resource_type, resource_id)',
  'CREATE INDEX audit_events_created ON audit_events (created_at)',
  `CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
  END
  $$`,
  `CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()`,
  `CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}
