import { type Kysely, sql } from 'kysely';

/**
 * SCEP: Intune dynamic challenges already spent (single use across every replica) and the
 * per-device enrolment count they give; SCEP certificates move from tags to the enrollment columns
 * that 0005 added for EST.
 */
const UP: string[] = [
  `CREATE TABLE scep_intune_challenges (
    replay_key text PRIMARY KEY,
    scep_profile text NOT NULL,
    device_subject text NOT NULL,
    device_issuer text NOT NULL,
    consumed_at timestamptz NOT NULL,
    keep_until timestamptz NOT NULL
  )`,
  'CREATE INDEX scep_intune_challenges_device ON scep_intune_challenges (scep_profile, device_subject, device_issuer, consumed_at)',
  'CREATE INDEX scep_intune_challenges_keep_until ON scep_intune_challenges (keep_until)',
  `UPDATE certificates SET enrollment_source = 'scep', enrollment_profile = tags->>'scep_profile',
     tags = (tags - 'source') - 'scep_profile'
   WHERE tags->>'source' = 'scep' AND enrollment_source IS NULL`,
];

export async function up(db: Kysely<unknown>): Promise<void> {
  for (const statement of UP) await sql.raw(statement).execute(db);
}
