import { type ConnectorContext, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export interface CaddyAdminClient {
  /** The config at `path` (`/config/`, `/config/apps/tls/...`); null when nothing is set there. */
  getConfig(path: string, signal?: AbortSignal): Promise<unknown>;
  /** POST /load: Caddy provisions the whole config and switches to it, or keeps the old one and answers an error. */
  load(config: unknown, options?: { force?: boolean; signal?: AbortSignal }): Promise<void>;
}

/** Caddy's admin API (https://caddyserver.com/docs/api), through `ctx.fetch`. */
export function createCaddyAdminClient(
  baseUrl: string,
  ctx: Pick<ConnectorContext, 'fetch'>,
  timeoutMs: number,
): CaddyAdminClient {
  const base = baseUrl.replace(/\/+$/, '');

  async function request(method: 'GET' | 'POST', path: string, init: RequestInit, signal?: AbortSignal) {
    let response: Response | undefined;
    // Caddy drops its admin connections when it switches configs, so a pooled socket may be dead
    // right after a /load: every request asks for its own connection, and a GET (idempotent) is
    // tried again after a network error; a POST never is.
    const attempts = method === 'GET' ? 3 : 1;
    for (let attempt = 1; response === undefined; attempt++) {
      const deadline = AbortSignal.timeout(timeoutMs);
      try {
        response = await ctx.fetch(`${base}${path}`, {
          ...init,
          headers: { ...(init.headers as Record<string, string> | undefined), connection: 'close' },
          method,
          signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
        });
      } catch (error) {
        if (attempt < attempts && !signal?.aborted && !deadline.aborted) continue;
        throw new VendorApiError({
          connector: CONNECTOR,
          message: `cannot reach Caddy's admin API at ${base} (${(error as Error).message}); is Caddy running with its admin endpoint there?`,
          cause: error,
        });
      }
    }
    const text = await response.text();
    if (!response.ok) {
      // Caddy answers {"error": "..."}; the message names the module and the reason, never our key bytes.
      let reason = text;
      try {
        reason = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // Not JSON: keep the text.
      }
      throw new VendorApiError({
        connector: CONNECTOR,
        status: response.status,
        body: reason,
        // A rejected config stays rejected; only an overloaded or unreachable Caddy is worth retrying.
        retryable: method === 'GET' ? undefined : false,
        message: `Caddy's admin API refused ${method} ${path} (${response.status}): ${reason.slice(0, 500)}`,
      });
    }
    return text;
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
