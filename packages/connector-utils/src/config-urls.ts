import type { ConnectorNetwork } from '@certctl/core';
import { ConnectorError } from '@certctl/core';
import { createSsrfPolicy, type SsrfPolicy } from './ssrf-policy.js';

/** The SSRF policy of an app's network (`ctx.network`): what the HTTP client enforces when it connects. */
export function ssrfPolicyForNetwork(network: ConnectorNetwork | undefined, connector?: string): SsrfPolicy {
  return createSsrfPolicy({
    connector,
    ...(network?.allow && { allow: network.allow }),
    allowPrivate: network?.allowPrivate ?? false,
    allowLoopback: network?.allowLoopback ?? false,
  });
}

export interface ConfigAddress {
  /** Where in the config, e.g. `webhook_url` or `endpoints.0.url`. */
  path: string;
  /** An http(s) URL: what the HTTP client would connect to. */
  url: string;
}

const URL_LIKE = /^https?:\/\//i;

/** Every http(s) URL in a connector config, at any depth. */
export function configAddresses(config: unknown): ConfigAddress[] {
  const found: ConfigAddress[] = [];
  const stack: { value: unknown; path: string }[] = [{ value: config, path: '' }];
  while (stack.length > 0) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      if (URL_LIKE.test(value.trim())) found.push({ path, url: value.trim() });
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value))
        stack.push({ value: child, path: path ? `${path}.${key}` : key });
    }
  }
  return found;
}

export interface RefusedAddress {
  path: string;
  message: string;
}

function refusal(path: string, error: unknown): RefusedAddress {
  const message = error instanceof Error ? error.message.replace(/^\[certctl\] (\[[^\]]+\] )?/, '') : String(error);
  return { path, message };
}

/**
 * The config's addresses the policy refuses, judged without DNS (literal addresses in any notation,
 * cloud metadata names): what an app checks when a config is saved.
 */
export function refusedConfigAddresses(config: unknown, policy: SsrfPolicy): RefusedAddress[] {
  const refused: RefusedAddress[] = [];
  for (const { path, url } of configAddresses(config)) {
    try {
      policy.assertUrl(url);
    } catch (error) {
      if (!ConnectorError.isInstance(error)) throw error;
      refused.push(refusal(path, error));
    }
  }
  return refused;
}

/**
 * The same with names resolved (every address a name resolves to must pass): what an app checks
 * before a connection test. A name that does not resolve is not a refusal here.
 */
export async function refusedConfigAddressesResolved(config: unknown, policy: SsrfPolicy): Promise<RefusedAddress[]> {
  const refused: RefusedAddress[] = [];
  for (const { path, url } of configAddresses(config)) {
    try {
      await policy.checkUrl(url);
    } catch (error) {
      if (ConnectorError.isInstance(error)) refused.push(refusal(path, error));
    }
  }
  return refused;
}
