/**
 * A server process that claims the due jobs on a PostgreSQL database and then hangs inside the
 * issuer (it never answers), so it holds their leases until it is killed. Used by the kill -9 test:
 * `node --conditions=@certctl/source --import tsx lease-holder.child.ts` with CERTCTL_DATABASE_URL.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config/index.js';
import { createServerRegistry } from '../connectors/server-registry.js';
import { createLogger } from '../observability/logger.js';
import { startServer } from '../server.js';
import { createTestCa } from './test-issuer.js';

const ca = createTestCa();
ca.control.issueDelayMs = 3_600_000;
const config = loadConfig({
  CERTCTL_DATA_DIR: mkdtempSync(join(tmpdir(), 'certctl-lease-holder-')),
  CERTCTL_DATABASE_URL: process.env.CERTCTL_DATABASE_URL,
  CERTCTL_JOB_LEASE: process.env.CERTCTL_JOB_LEASE,
  CERTCTL_CONFIG_ENCRYPTION_KEY: process.env.CERTCTL_CONFIG_ENCRYPTION_KEY,
  CERTCTL_LOG_LEVEL: 'silent',
});
const logger = createLogger({ level: 'silent' });
const connectors = createServerRegistry(logger);
connectors.registry.register(ca.manifest);
const server = await startServer({ config, logger, connectors, listen: false, scheduler: false, replicaId: 'doomed' });
process.stdout.write('claiming\n');
void server.runner.runOnce();
