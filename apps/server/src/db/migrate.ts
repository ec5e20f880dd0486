import { type Kysely, type Migration, Migrator } from 'kysely';
import * as initial from './migrations/0001-initial.js';
import * as agentDiscovery from './migrations/0002-agent-discovery.js';
import * as acmeServer from './migrations/0004-acme-server.js';
import * as estEnrollment from './migrations/0005-est-enrollment.js';
import * as notifications from './migrations/0006-notifications.js';
import * as scepIntune from './migrations/0007-scep-intune.js';
import * as targetSecrets from './migrations/0008-target-secrets.js';

const MIGRATIONS: Record<string, Migration> = {
  '0001-initial': initial,
  '0002-agent-discovery': agentDiscovery,
  '0004-acme-server': acmeServer,
  '0005-est-enrollment': estEnrollment,
  '0006-notifications': notifications,
  '0007-scep-intune': scepIntune,
  '0008-target-secrets': targetSecrets,
};

/** Brings the schema up to date; runs at every boot, under kysely's migration lock. */
export async function migrateToLatest(db: Kysely<unknown>): Promise<void> {
  // Migrations are numbered per feature and may land in any order; each one is independent.
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => MIGRATIONS },
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(
      `database migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}
