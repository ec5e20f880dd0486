import { type Kysely, sql } from 'kysely';

/**
 * Where a certificate came from (`est`, `scep`, ...; null = the API) and which enrollment profile
 * admitted it, plus the team, owner and renewal policy that protocol enrollments are filed under.
 * `IF NOT EXISTS` because the SCEP migration may add the same source column.
 */
const UP: string[] = [
  `ALTER TABLE certificates ADD COLUMN IF NOT EXISTS enrollment_source text`,
  `ALTER TABLE certificates ADD COLUMN IF NOT EXISTS enrollment_profile text`,
  `CREATE INDEX IF NOT EXISTS certificates_enrollment_idx ON certificates (enrollment_source, enrollment_profile)`,
  `INSERT INTO teams (id, name, description) VALUES ('team-est', 'EST enrollments', 'Certificates enrolled by devices over EST (RFC 7030)') ON CONFLICT DO NOTHING`,
  `INSERT INTO owners (id, name, email, team_id) VALUES ('owner-est', 'EST enrollment', 'est@localhost', 'team-est') ON CONFLICT DO NOTHING`,
  // EST clients renew themselves (simplereenroll): the server must not re-sign an old CSR on its own.
  `INSERT INTO renewal_policies (id, name, auto_renew) VALUES ('rp-est', 'EST enrollments (client-driven renewal)', false) ON CONFLICT DO NOTHING`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}
