import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from './config/index.js';
import { createServerRegistry } from './connectors/server-registry.js';
import { createLogger } from './observability/logger.js';
import { startServer } from './server.js';

/**
 * The API's OpenAPI document as `GET /api/v1/openapi.json` serves it, built without a listener:
 * the features are set up on a throw-away embedded database and the document is read in-process.
 * `@certctl/client` generates its types from it, from a default configuration: the protocol features
 * (ACME, EST, SCEP) add only their own paths outside `/api/v1` when enabled, and those are spoken
 * by ACME and EST clients (JWS, base64 DER), not by a JSON client. `env` adds settings (a test
 * enables the protocols to prove that they add nothing under `/api/v1`).
 */
export async function exportOpenApiDocument(
  options: { env?: Record<string, string> } = {},
): Promise<Record<string, unknown>> {
  const dataDir = mkdtempSync(join(tmpdir(), 'certctl-openapi-'));
  const logger = createLogger({ level: 'silent' });
  const config = loadConfig({
    CERTCTL_DATA_DIR: dataDir,
    CERTCTL_SERVER_PORT: '0',
    CERTCTL_PKI_HTTP_PORT: '0',
    CERTCTL_API_KEYS_NAMED: 'export:openapi-export-key-0123456789:viewer',
    CERTCTL_CONFIG_ENCRYPTION_KEY: 'openapi-export-passphrase-0123456789',
    CERTCTL_LOG_LEVEL: 'silent',
    ...options.env,
  });
  const server = await startServer({
    config,
    logger,
    connectors: createServerRegistry(logger),
    listen: false,
    scheduler: false,
  });
  try {
    const response = await server.api.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    if (response.statusCode !== 200) throw new Error(`openapi.json answered ${response.statusCode}`);
    return JSON.parse(response.body) as Record<string, unknown>;
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
