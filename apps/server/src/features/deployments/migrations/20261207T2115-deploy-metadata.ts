import { type Kysely, sql } from 'kysely';

/**
 * What a target reported about a deployment (an ACM certificate ARN, a Key Vault certificate id and
 * version), as the agent sent it: shown in the deployment history.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE jobs ADD COLUMN deploy_metadata jsonb').execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql.raw('ALTER TABLE jobs DROP COLUMN deploy_metadata').execute(db);
}
