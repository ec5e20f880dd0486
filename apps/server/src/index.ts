export { ConfigError, loadConfig, type ServerConfig } from './config/index.js';
export { createServerRegistry, type ServerRegistry } from './connectors/server-registry.js';
export { registerInstalledConnectors } from './connectors/installed-connectors.js';
export { createLogger } from './observability/logger.js';
export { exportOpenApiDocument } from './openapi-export.js';
export { type RunningServer, SERVER_VERSION, type StartServerOptions, startServer } from './server.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';
