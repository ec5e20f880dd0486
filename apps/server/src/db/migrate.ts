import { type Kysely, type Migration, Migrator } from 'kysely';
import * as initial from './migrations/20261123T0943-initial.js';
import * as agentDiscovery from '../features/discovery/migrations/20261123T1415-agent-discovery.js';
import * as acmeServer from '../features/acme/migrations/20261123T1416-acme-server.js';
import * as estEnrollment from '../features/est/migrations/20261123T1522-est-enrollment.js';
import * as notifications from '../features/notifications/migrations/20261123T1523-notifications.js';
import * as scepIntune from '../features/scep/migrations/20261202T1628-scep-intune.js';
import * as targetSecrets from '../features/agents/migrations/20261203T0743-target-secrets.js';

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
