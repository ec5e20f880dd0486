import type { Environment } from './load-config.js';

/** The only place the server reads the process environment. */
export function processEnvironment(): Environment {
  return process.env;
}
