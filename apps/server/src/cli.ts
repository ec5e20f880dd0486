#!/usr/bin/env node
import { ConfigError, connectorPackagesFromEnv, loadConfig, processEnvironment } from './config/index.js';
import { connectorEnvironmentVariables, registerInstalledConnectors } from './connectors/installed-connectors.js';
import { createServerRegistry } from './connectors/server-registry.js';
import { createLogger } from './observability/logger.js';
import { SERVER_VERSION, startServer } from './server.js';
import { resetAdminKey } from './admin-key-reset.js';

const USAGE = `usage: certctl-server [--help] [--version]
       certctl-server admin-key reset

Runs the certctl control plane: the HTTPS API (CERTCTL_SERVER_PORT, default 8443) and the plain-HTTP
PKI listener for CRL and OCSP (CERTCTL_PKI_HTTP_PORT, default 8080), on the embedded database under
CERTCTL_DATA_DIR (default ./data) or on PostgreSQL (CERTCTL_DATABASE_URL).

Configuration comes from CERTCTL_* environment variables (see docs/getting-started.md).

admin-key reset   revokes the admin key printed at first start (and any earlier reset's) and prints a
                  new one once. Run it on the server's machine with the server's environment; with the
                  embedded database, stop the server first.`;

/** Answers --help and --version, and refuses anything else, before anything is created on disk. */
function handleArguments(argv: string[]): 'run' | 'done' | 'admin-key-reset' {
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      return 'done';
    }
    if (arg === '--version' || arg === '-v') {
      process.stdout.write(`certctl-server ${SERVER_VERSION}\n`);
      return 'done';
    }
  }
  if (argv.length === 2 && argv[0] === 'admin-key' && argv[1] === 'reset') return 'admin-key-reset';
  if (argv.length > 0) {
    process.stderr.write(`certctl-server: unknown argument ${argv[0]}\n${USAGE}\n`);
    process.exitCode = 2;
    return 'done';
  }
  return 'run';
}

async function main(): Promise<void> {
  const command = handleArguments(process.argv.slice(2));
  if (command === 'done') return;
  const env = processEnvironment();
  const bootFormat =
    env.CERTCTL_LOG_FORMAT === 'text' || env.CERTCTL_LOG_FORMAT === 'json' ? env.CERTCTL_LOG_FORMAT : undefined;
  const bootLogger = createLogger({ level: env.CERTCTL_LOG_LEVEL ?? 'info', format: bootFormat });
  const connectors = createServerRegistry(bootLogger);
  const report = await registerInstalledConnectors(connectors.registry, connectorPackagesFromEnv(env));
  const config = loadConfig(env, { connectorVariables: connectorEnvironmentVariables(connectors.registry) });
  const logger = createLogger({ level: config.log.level, format: config.log.format });
  if (command === 'admin-key-reset') {
    const reset = await resetAdminKey(config);
    process.stdout.write(
      [
        `certctl-server ${SERVER_VERSION}: admin key reset (database: ${reset.database})`,
        `  revoked: ${reset.revokedIds.length === 0 ? 'no earlier bootstrap key' : reset.revokedIds.join(', ')}`,
        '',
        '  The new admin API key. It is shown only this once; store it now:',
        '',
        `    ${reset.key}`,
        '',
        '  Use it as: Authorization: Bearer <key>',
        '',
      ].join('\n'),
    );
    return;
  }
  for (const failed of report.failed)
    logger.error({ package: failed.packageName, error: failed.error }, 'connector could not be loaded');
  logger.info(
    { version: SERVER_VERSION, connectors: report.loaded.map((c) => `${c.kind}-${c.id}`) },
    'starting certctl-server',
  );
  const server = await startServer({ config, logger, connectors });
  const lines = [
    `certctl-server ${SERVER_VERSION}`,
    `  API (HTTPS):  ${server.urls.api}/api/v1   (OpenAPI: ${server.urls.api}/api/v1/openapi.json)`,
    `  PKI (HTTP):   ${server.urls.pki}/.well-known/pki/crl/<issuer>`,
    ...(server.urls.metrics
      ? [`  metrics:      ${server.urls.metrics}${config.metricsListener?.token ? ' (bearer token)' : ' (no auth)'}`]
      : []),
    `  database:     ${server.database.dialect === 'pglite' ? `embedded, ${config.dataDir}` : 'PostgreSQL'}`,
    `  TLS:          ${server.tls.source === 'files' ? 'from CERTCTL_SERVER_TLS_CERT_PATH' : `bootstrap certificate; trust ${config.dataDir}/tls/ca.pem`}`,
  ];
  if (server.bootstrapAdminKey) {
    lines.push(
      '',
      '  First start: an admin API key was created. It is shown only this once; store it now:',
      '',
      `    ${server.bootstrapAdminKey}`,
      '',
      '  Use it as: Authorization: Bearer <key>',
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    server.close().then(
      () => process.exit(0),
      (error) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error) => {
  const message = error instanceof ConfigError ? error.message : error instanceof Error ? error.message : String(error);
  process.stderr.write(`certctl-server: ${message}\n`);
  process.exit(1);
});
