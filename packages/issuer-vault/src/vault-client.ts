/**
 * HTTP to Vault: the token header on every call, TLS trusting `ca_cert_path` when set, Vault's
 * `{"errors": [...]}` bodies turned into typed errors (403 is an AuthenticationError).
 */
import { readFileSync } from 'node:fs';
import { createHttpClient, createSsrfPolicy } from '@certctl/connector-utils';
import { ConfigValidationError, type ConnectorContext } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import type { VaultIssuerConfig } from './vault-config.js';

export interface VaultClient {
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T>;
  close(): Promise<void>;
}

/** The envelope every Vault API response shares. */
export interface VaultResponse<Data = unknown, Auth = unknown> {
  data?: Data | null;
  auth?: Auth | null;
  warnings?: string[] | null;
}

export function createVaultClient(config: VaultIssuerConfig, ctx: ConnectorContext, version: string): VaultClient {
  let ca: string | undefined;
  if (config.ca_cert_path) {
    try {
      ca = readFileSync(config.ca_cert_path, 'utf8');
    } catch (cause) {
      throw new ConfigValidationError({
        connector: CONNECTOR,
        issues: [
          {
            path: 'ca_cert_path',
            message: `cannot read ${config.ca_cert_path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
          },
        ],
      });
    }
  }
  // Vault is an internal service the operator named: private and loopback addresses (a Vault agent
  // on localhost) are expected; metadata and link-local addresses stay refused.
  const headers: Record<string, string> = { 'x-vault-token': config.token };
  if (config.namespace) headers['x-vault-namespace'] = config.namespace;
  const client = createHttpClient({
    connector: CONNECTOR,
    context: ctx,
    baseUrl: `${config.addr.replace(/\/+$/, '')}/v1/`,
    ssrfPolicy: createSsrfPolicy({ connector: CONNECTOR, allowPrivate: true, allowLoopback: true }),
    ...(ca ? { ca } : {}),
    timeoutMs: config.request_timeout_seconds * 1000,
    retries: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 },
    userAgent: `certctl-issuer-vault/${version}`,
    defaultHeaders: headers,
    errors: {
      authStatuses: [403],
      vendorMessage: vaultErrors,
      hint: (status) => (status === 403 ? 'the token is invalid, expired or lacks a policy for this path' : undefined),
    },
  });

  const call = async <T>(method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal): Promise<T> => {
    const response = await client.request({ method, url: path, body, signal });
    return (response.status === 204 ? {} : response.json()) as T;
  };

  return {
    get: (path, signal) => call('GET', path, undefined, signal),
    post: (path, body, signal) => call('POST', path, body, signal),
    close: () => client.close(),
  };
}

/** Vault's own words from an error body, e.g. `permission denied`. */
export function vaultErrors(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { errors?: unknown };
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0)
      return parsed.errors.map(String).join('; ').slice(0, 300);
  } catch {
    // Not JSON: a proxy's HTML page, say.
  }
  return undefined;
}
