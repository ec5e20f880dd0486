import { type Kysely, sql } from 'kysely';

/**
 * ACME server state (RFC 8555). Nonces live here so they survive a restart and work across
 * replicas; orders point at the managed certificate and the version they produced.
 */
const UP: string[] = [
  `ALTER TABLE certificate_profiles ADD COLUMN acme_auth_mode text NOT NULL DEFAULT 'trust_authenticated'
    CHECK (acme_auth_mode IN ('trust_authenticated', 'challenge'))`,
  `CREATE TABLE acme_nonces (
    nonce text PRIMARY KEY,
    expires_at timestamptz NOT NULL
  )`,
  'CREATE INDEX acme_nonces_expires ON acme_nonces (expires_at)',
  `CREATE TABLE acme_accounts (
    id text PRIMARY KEY,
    profile_id text NOT NULL REFERENCES certificate_profiles(id) ON DELETE RESTRICT,
    jwk jsonb NOT NULL,
    jwk_thumbprint text NOT NULL,
    status text NOT NULL DEFAULT 'valid' CHECK (status IN ('valid', 'deactivated', 'revoked')),
    contact jsonb NOT NULL DEFAULT '[]',
    eab_kid text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (profile_id, jwk_thumbprint)
  )`,
  `CREATE TABLE acme_orders (
    id text PRIMARY KEY,
    account_id text NOT NULL REFERENCES acme_accounts(id) ON DELETE RESTRICT,
    profile_id text NOT NULL REFERENCES certificate_profiles(id) ON DELETE RESTRICT,
    status text NOT NULL CHECK (status IN ('pending', 'ready', 'processing', 'valid', 'invalid')),
    identifiers jsonb NOT NULL,
    not_before timestamptz,
    not_after timestamptz,
    expires_at timestamptz NOT NULL,
    error jsonb,
    replaces text,
    csr_pem text,
    certificate_id text REFERENCES certificates(id) ON DELETE RESTRICT,
    job_id text REFERENCES jobs(id) ON DELETE SET NULL,
    version_id text REFERENCES certificate_versions(id) ON DELETE RESTRICT,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  'CREATE INDEX acme_orders_account ON acme_orders (account_id, created_at)',
  'CREATE INDEX acme_orders_version ON acme_orders (version_id) WHERE version_id IS NOT NULL',
  `CREATE TABLE acme_authorizations (
    id text PRIMARY KEY,
    order_id text NOT NULL REFERENCES acme_orders(id) ON DELETE CASCADE,
    account_id text NOT NULL REFERENCES acme_accounts(id) ON DELETE RESTRICT,
    identifier_type text NOT NULL CHECK (identifier_type IN ('dns', 'ip')),
    identifier_value text NOT NULL,
    wildcard boolean NOT NULL DEFAULT false,
    status text NOT NULL CHECK (status IN ('pending', 'valid', 'invalid', 'deactivated', 'expired', 'revoked')),
    expires_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  'CREATE INDEX acme_authorizations_order ON acme_authorizations (order_id)',
  `CREATE TABLE acme_challenges (
    id text PRIMARY KEY,
    authorization_id text NOT NULL REFERENCES acme_authorizations(id) ON DELETE CASCADE,
    type text NOT NULL CHECK (type IN ('http-01', 'dns-01', 'tls-alpn-01')),
    token text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'processing', 'valid', 'invalid')),
    validated_at timestamptz,
    error jsonb,
    attempts integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  'CREATE INDEX acme_challenges_authorization ON acme_challenges (authorization_id)',
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}
