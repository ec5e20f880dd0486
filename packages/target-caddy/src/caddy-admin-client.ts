import { createHttpClient } from '@certctl/connector-utils';
import { type ConnectorContext, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export interface CaddyAdminClient {
  /** The config at `path` (`/config/`, `/config/apps/tls/...`); null when nothing is set there. */
  getConfig(path: string, signal?: AbortSignal): Promise<unknown>;
  /** POST /load: Caddy provisions the whole config and switches to it, or keeps the old one and answers an error. */
  load(config: unknown, options?: { force?: boolean; signal?: AbortSignal }): Promise<void>;
}

/** Caddy's admin API (https://caddyserver.com/docs/api), through the one HTTP client and the app's network policy. */
export function createCaddyAdminClient(
  baseUrl: string,
  ctx: Pick<ConnectorContext, 'network' | 'clock' | 'logger' | 'signal'>,
  timeoutMs: number,
): CaddyAdminClient {
  const base = baseUrl.replace(/\/+$/, '');
  const http = createHttpClient({
    connector: CONNECTOR,
    context: ctx,
    baseUrl: base,
    timeoutMs,
    // A GET (idempotent) is tried again after a network error or an overloaded Caddy; a POST never is.
    retries: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 500 },
    userAgent: 'certctl-target-caddy',
    // Caddy answers {"error": "..."}; the message names the module and the reason, never our key bytes.
    errors: { authStatuses: [], vendorMessage: (body) => caddyReason(body).slice(0, 500) },
  });

  async function request(
    method: 'GET' | 'POST',
    path: string,
    init: { headers?: Record<string, string>; body?: string },
    signal?: AbortSignal,
  ) {
    try {
      // Caddy drops its admin connections when it switches configs, so a pooled socket may be dead
      // right after a /load: every request asks for its own connection.
      const response = await http.request({
        method,
        url: path,
        headers: { ...init.headers, connection: 'close' },
        body: init.body,
        signal,
      });
      return response.text();
    } catch (error) {
      if (!VendorApiError.isInstance(error)) throw error;
      if (error.status === undefined) {
        throw new VendorApiError({
          connector: CONNECTOR,
          message: `cannot reach Caddy's admin API at ${base} (${error.message}); is Caddy running with its admin endpoint there?`,
          cause: error,
        });
      }
      throw new VendorApiError({
        connector: CONNECTOR,
        status: error.status,
        body: caddyReason(error.body ?? ''),
        // A rejected config stays rejected; only an overloaded or unreachable Caddy is worth retrying.
        retryable: method === 'GET' ? undefined : false,
        message: `Caddy's admin API refused ${method} ${path} (${error.status}): ${caddyReason(error.body ?? '').slice(0, 500)}`,
        cause: error,
      });
    }
  }

  return {
    async getConfig(path, signal) {
      const text = await request('GET', path, {}, signal);
      if (text.trim() === '') return null;
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        throw new VendorApiError({
          connector: CONNECTOR,
          status: 200,
          message: `Caddy's admin API answered GET ${path} with something that is not JSON`,
          cause: error,
        });
      }
    },
    async load(config, options = {}) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      // Caddy skips a /load whose config equals the running one; must-revalidate forces the reload.
      if (options.force) headers['cache-control'] = 'must-revalidate';
      await request('POST', '/load', { headers, body: JSON.stringify(config) }, options.signal);
    },
  };
}

function caddyReason(body: string): string {
  try {
    return (JSON.parse(body) as { error?: string }).error ?? body;
  } catch {
    return body;
  }
}
