export { type CliConfig, configFilePath, resolveConfig } from './cli-config.js';
export type { CliIo } from './context.js';
export { CliError, EXIT } from './exit-codes.js';
export { CLI_VERSION, exitCodeOf, runCli } from './program.js';

export const VERSION: string = typeof __PACKAGE_VERSION__ === 'string' ? __PACKAGE_VERSION__ : '0.0.0-source';
