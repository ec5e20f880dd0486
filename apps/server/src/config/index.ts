export { ConfigError, connectorPackagesFromEnv, type Environment, loadConfig } from './load-config.js';
export type { Role } from './named-api-keys.js';
export { ROLES } from './named-api-keys.js';
export type { ServerConfig } from './server-config.js';
export { processEnvironment } from './process-environment.js';
