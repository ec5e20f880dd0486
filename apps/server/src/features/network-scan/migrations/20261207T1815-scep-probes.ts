import { type Kysely, sql } from 'kysely';

/** Results of probing remote SCEP servers (GetCACaps + GetCACert only, never an enrolment). */
const UP: string[] = [
  `CREATE TABLE scep_probe_results (
    id text PRIMARY KEY,
    target_url text NOT NULL,
    reachable boolean NOT NULL,
    advertised_caps jsonb NOT NULL DEFAULT '[]',
    supports_post boolean NOT NULL DEFAULT false,
    supports_sha256 boolean NOT NULL DEFAULT false,
    supports_sha512 boolean NOT NULL DEFAULT false,
    supports_aes boolean NOT NULL DEFAULT false,
    supports_scep_standard boolean NOT NULL DEFAULT false,
    supports_renewal boolean NOT NULL DEFAULT false,
    ca_subject text,
    ca_issuer text,
    ca_key_algorithm text,
    ca_not_after timestamptz,
    ca_days_to_expiry integer,
    chain_length integer NOT NULL DEFAULT 0,
    duration_ms integer NOT NULL DEFAULT 0,
    error text,
    probed_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE INDEX scep_probe_results_created_idx ON scep_probe_results (created_at)`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('DROP TABLE scep_probe_results').execute(db);
}
