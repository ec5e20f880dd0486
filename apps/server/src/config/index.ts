export { ConfigError } from './config-error.js';
export {
  connectorPackagesFromEnv,
  type Environment,
  type LoadConfigOptions,
  loadConfig,
  referenceVariablesWarning,
  serverFeatureSettings,
} from './load-config.js';
export {
  type AnyFeatureSettings,
  type DocumentedVariable,
  defineFeatureSettings,
  type FeatureConfigs,
  type FeatureSettings,
} from './feature-settings.js';
export type { Role } from './named-api-keys.js';
export { ROLES } from './named-api-keys.js';
export type { CoreServerConfig, ServerConfig } from './server-config.js';
export { processEnvironment } from './process-environment.js';
