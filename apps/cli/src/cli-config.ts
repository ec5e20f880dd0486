import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CliError, EXIT } from './exit-codes.js';

/** Where the server is and how to reach it: flags, then CERTCTL_* variables, then the config file. */
export interface CliConfig {
  serverUrl: string;
  apiKey?: string;
  /** PEM text of the CA bundle that alone is trusted for the server's TLS. */
  caPem?: string;
}

export interface ConfigFlags {
  server?: string;
  apiKey?: string;
  caBundle?: string;
  config?: string;
}

/** `$CERTCTL_CONFIG`, else `$XDG_CONFIG_HOME/certctl/config.json`, else `~/.config/certctl/config.json`. */
export function configFilePath(env: NodeJS.ProcessEnv): string {
  if (env.CERTCTL_CONFIG) return env.CERTCTL_CONFIG;
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'certctl', 'config.json');
}

interface ConfigFile {
  server_url?: string;
  api_key?: string;
  ca_bundle?: string;
}

function readConfigFile(path: string, explicit: boolean): ConfigFile {
  if (!existsSync(path)) {
    if (explicit) throw new CliError(`config file ${path} does not exist`, EXIT.usage);
    return {};
  }
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
    return parsed as ConfigFile;
  } catch (error) {
    throw new CliError(`config file ${path} is not valid: ${(error as Error).message}`, EXIT.usage);
  }
}

export function resolveConfig(flags: ConfigFlags, env: NodeJS.ProcessEnv): CliConfig {
  const file = readConfigFile(flags.config ?? configFilePath(env), Boolean(flags.config ?? env.CERTCTL_CONFIG));
  const serverUrl = flags.server ?? env.CERTCTL_SERVER_URL ?? file.server_url;
  if (!serverUrl)
    throw new CliError(
      `no server: pass --server, set CERTCTL_SERVER_URL, or write server_url in ${configFilePath(env)}`,
      EXIT.usage,
    );
  try {
    new URL(serverUrl);
  } catch {
    throw new CliError(`server URL "${serverUrl}" is not a URL (https://host:8443)`, EXIT.usage);
  }
  const caPem = readCaBundle(flags.caBundle ?? env.CERTCTL_CA_BUNDLE ?? file.ca_bundle);
  const apiKey = flags.apiKey ?? env.CERTCTL_API_KEY ?? file.api_key;
  return { serverUrl, ...(apiKey && { apiKey }), ...(caPem && { caPem }) };
}

/** The PEM of a CA bundle file (flag or CERTCTL_CA_BUNDLE), or undefined when none is named. */
export function readCaBundle(path: string | undefined): string | undefined {
  if (!path) return undefined;
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new CliError(`CA bundle ${path} cannot be read: ${(error as Error).message}`, EXIT.usage);
  }
}

/** Passwords read from the environment when no flag gives them (never from the config file). */
export function passwordFromEnv(
  env: NodeJS.ProcessEnv,
  name: 'CERTCTL_EST_PASSWORD' | 'CERTCTL_PKCS12_PASSWORD',
): string | undefined {
  return env[name] || undefined;
}
