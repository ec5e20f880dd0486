/**
 * A whole server in its own process, for the fault-injection tests: they kill it with SIGKILL and
 * start it again on the same database. Its CA is the ledger CA (state in `ledgerDir`, so it
 * outlives the process); the webhook notifier is installed. `pointsFile` names the crash points
 * where work stops for good: the process prints `fault <point> <subject>` and waits to be killed.
 * It prints `ready <api url> <pki url>` once it listens.
 * Run: `node --conditions=@certctl/source --import tsx fault-server.child.ts '<settings JSON>'`; the
 * settings (see faultChildSettings) are its whole configuration, read once here: the environment it
 * inherits is not consulted.
 */
import { existsSync, readFileSync } from 'node:fs';
import webhookNotifier from '@certctl/notifier-webhook';
import { z } from 'zod';
import { loadConfig } from '../config/index.js';
import { createServerRegistry } from '../connectors/server-registry.js';
import { createLogger } from '../observability/logger.js';
import { startServer } from '../server.js';
import type { FaultPoint } from '../shared/fault-points.js';
import { createLedgerCa } from './ledger-ca.js';

/** What startFaultServer hands the child as its one argument. */
const faultChildSettings = z
  .object({
    ledgerDir: z.string().min(1),
    pointsFile: z.string().min(1).optional(),
    replicaId: z.string().min(1).optional(),
    /** The server's CERTCTL_* settings. */
    env: z.record(z.string().regex(/^CERTCTL_/), z.string()),
  })
  .strict();
const { ledgerDir, pointsFile, replicaId, env } = faultChildSettings.parse(JSON.parse(process.argv[2] ?? '{}'));
// One line per point: `point` stops all work there; `point@prefix` only work whose subject starts
// with prefix. Read at every point, so a test arms points while the server runs.
const armed = () =>
  (pointsFile && existsSync(pointsFile) ? readFileSync(pointsFile, 'utf8') : '')
    .split('\n')
    .filter(Boolean)
    .map((entry) => {
      const [point, prefix = ''] = entry.split('@') as [FaultPoint, string?];
      return { point, prefix };
    });
const ca = createLedgerCa(ledgerDir);
const config = loadConfig(env, {
  connectorVariables: [...Object.keys(ca.env ?? {}), ...Object.keys(webhookNotifier.env ?? {})],
});
const logger = createLogger({ level: config.log.level });
const connectors = createServerRegistry(logger);
connectors.registry.register(ca);
connectors.registry.register(webhookNotifier);
const server = await startServer({
  config,
  logger,
  connectors,
  replicaId,
  faultHook: async (point, subject) => {
    if (!armed().some((p) => p.point === point && subject.startsWith(p.prefix))) return;
    process.stdout.write(`fault ${point} ${subject}\n`);
    await new Promise(() => {});
  },
});
process.stdout.write(`ready ${server.urls.api} ${server.urls.pki}\n`);
process.once('SIGTERM', () => {
  void server.close().then(() => process.exit(0));
});
