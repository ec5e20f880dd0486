import { type Kysely, sql } from 'kysely';

/** Compliance rules (enforcing or advisory) and the violations they find at issuance and in the inventory. */
const UP: string[] = [
  `CREATE TABLE policy_rules (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    description text NOT NULL DEFAULT '',
    type text NOT NULL CHECK (type IN ('allowed_issuers', 'key_algorithm', 'max_validity', 'required_san_patterns',
      'forbid_wildcards', 'required_metadata', 'allowed_environments')),
    config jsonb NOT NULL DEFAULT '{}',
    severity text NOT NULL DEFAULT 'warning' CHECK (severity IN ('warning', 'error', 'critical')),
    enforcement text NOT NULL DEFAULT 'advisory' CHECK (enforcement IN ('enforcing', 'advisory')),
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE policy_violations (
    id text PRIMARY KEY,
    rule_id text NOT NULL REFERENCES policy_rules(id) ON DELETE CASCADE,
    subject_key text NOT NULL,
    certificate_id text REFERENCES certificates(id) ON DELETE SET NULL,
    names jsonb NOT NULL DEFAULT '[]',
    source text NOT NULL,
    severity text NOT NULL,
    enforcement text NOT NULL,
    blocked boolean NOT NULL DEFAULT false,
    message text NOT NULL,
    status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    occurrences integer NOT NULL DEFAULT 1,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    alerted_at timestamptz,
    details jsonb,
    UNIQUE (rule_id, subject_key)
  )`,
  `CREATE INDEX policy_violations_status_idx ON policy_violations (status, last_seen_at)`,
  `CREATE INDEX policy_violations_certificate_idx ON policy_violations (certificate_id)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE policy_violations').execute(db);
  await sql.raw('DROP TABLE policy_rules').execute(db);
}
