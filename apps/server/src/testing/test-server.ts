import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PGlite } from '@electric-sql/pglite';
import type { AnyConnectorManifest, ConnectorNetwork } from '@certctl/core';
import { loadConfig } from '../config/index.js';
import { connectorEnvironmentVariables, registerInstalledConnectors } from '../connectors/installed-connectors.js';
import { createServerRegistry } from '../connectors/server-registry.js';
import type { ServerFeature } from '../features/server-feature.js';
import { createLogger } from '../observability/logger.js';
import { type RunningServer, startServer } from '../server.js';
import type { DialectContext } from './each-dialect.js';
import { describeMismatches } from './response-mismatches.js';
import { createResponseSchemaCheck } from './response-schema-check.js';
import { responseReportDir } from './response-report.js';

export const KEYS = {
  admin: 'admin-key-0123456789abcdef',
  alice: 'alice-key-0123456789abcdef',
  bob: 'bob-key-0123456789abcdef0',
  viewer: 'viewer-key-0123456789abcdef',
} as const;

export const auth = (key: string) => ({ authorization: `Bearer ${key}` });

export interface TestServerOptions {
  database: { url?: string; pglite?: PGlite } | DialectContext;
  connectors?: AnyConnectorManifest[];
  /** Also load the connectors installed next to the server (the local CA), as the CLI does. */
  installed?: boolean;
  env?: Record<string, string>;
  listen?: boolean;
  scheduler?: boolean;
  replicaId?: string;
  dataDir?: string;
  /** The connectors' `ctx.network` (e.g. fakeVendorNetwork for vendor fakes on loopback); default the production one. */
  connectorNetwork?: ConnectorNetwork;
  /** The server's clock (fake clocks cross alert thresholds). */
  now?: () => Date;
  /** The features to compose (default: all of them). */
  features?: readonly ServerFeature[];
  /** Where log lines go (with `CERTCTL_LOG_LEVEL` in `env`), so a test can read what was logged. */
  logDestination?: { write(line: string): void };
  /** Check every answer against its route's declared schemas; `stop()` fails on a mismatch (default true). */
  checkResponses?: boolean;
}

export interface TestServer extends RunningServer {
  dataDir: string;
  stop(): Promise<void>;
}

/** A server on the given database with named test keys (admin, alice and bob as operators, a viewer) and the given connectors. */
export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'certctl-server-test-'));
  const installedVariables = options.installed ? await installedConnectorVariables() : [];
  const config = loadConfig(
    {
      CERTCTL_DATA_DIR: dataDir,
      CERTCTL_SERVER_PORT: '0',
      CERTCTL_PKI_HTTP_PORT: '0',
      CERTCTL_API_KEYS_NAMED: `admin:${KEYS.admin}:admin,alice:${KEYS.alice},bob:${KEYS.bob},viewer:${KEYS.viewer}:viewer`,
      CERTCTL_CONFIG_ENCRYPTION_KEY: 'test-encryption-passphrase-0123456789',
      CERTCTL_LOG_LEVEL: 'silent',
      ...(options.database.url && { CERTCTL_DATABASE_URL: options.database.url }),
      ...options.env,
    },
    {
      connectorVariables: [
        ...installedVariables,
        ...(options.connectors ?? []).flatMap((m) => Object.keys(m.env ?? {})),
      ],
    },
  );
  const logger = createLogger({ level: config.log.level, destination: options.logDestination });
  const connectors = createServerRegistry(logger, { network: options.connectorNetwork });
  if (options.installed) await registerInstalledConnectors(connectors.registry, []);
  for (const manifest of options.connectors ?? []) connectors.registry.register(manifest);
  const responses = options.checkResponses === false ? undefined : createResponseSchemaCheck();
  const server = await startServer({
    config,
    logger,
    connectors,
    listen: options.listen ?? false,
    scheduler: options.scheduler ?? false,
    pglite: options.database.url ? undefined : options.database.pglite,
    replicaId: options.replicaId,
    now: options.now,
    features: options.features,
    responseCheck: responses,
  });
  return {
    ...server,
    dataDir,
    async stop() {
      await server.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
      if (!responses) return;
      const report = responses.report();
      const reportDir = responseReportDir();
      if (reportDir) writeFileSync(join(reportDir, `${randomUUID()}.json`), JSON.stringify(report));
      if (report.mismatches.length > 0)
        throw new Error(
          `answers that do not match their route's declared response schema:\n${describeMismatches(report.mismatches)}`,
        );
    },
  };
}

/** The `CERTCTL_*` names the installed connectors read, so a test can seed them from env as the CLI does. */
async function installedConnectorVariables(): Promise<string[]> {
  const probe = createServerRegistry(createLogger({ level: 'silent' }));
  await registerInstalledConnectors(probe.registry, []);
  return connectorEnvironmentVariables(probe.registry);
}
