/**
 * HTTP to Entrust through the house client: the client certificate from disk (reloaded when rotated),
 * the API's TLS trusted through `server_ca_path` when set, and Entrust's error bodies turned into
 * typed errors that say what to change (a 403 names the permission the caller lacks).
 */
import {
  createHttpClient,
  createMtlsAgent,
  createSsrfPolicy,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
} from '@certctl/connector-utils';
import { AuthenticationError, type ConnectorContext, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import type { EntrustIssuerConfig } from './entrust-config.js';

/** What a call does, for messages: the label and the permission Entrust checks for it. */
export interface EntrustOperation {
  /** e.g. `enroll on CA entrust-ca`. */
  what: string;
  /** The permission as the Entrust portal names it, e.g. `Enroll`. */
  permission: string;
}

export interface EntrustHttp {
  call(request: HttpRequest, operation: EntrustOperation): Promise<HttpResponse>;
  close(): Promise<void>;
}

export function createEntrustHttp(config: EntrustIssuerConfig, ctx: ConnectorContext, version: string): EntrustHttp {
  // The CA Gateway often runs on the customer's own network: the operator names it, so private and
  // loopback addresses are allowed; metadata and link-local addresses stay refused.
  const ssrfPolicy = createSsrfPolicy({ connector: CONNECTOR, allowPrivate: true, allowLoopback: true });
  const dispatcher = createMtlsAgent({
    certPath: config.client_cert_path,
    keyPath: config.client_key_path,
    ...(config.server_ca_path ? { caPath: config.server_ca_path } : {}),
    ssrfPolicy,
    connector: CONNECTOR,
    logger: ctx.logger,
  });
  const defaultHeaders: Record<string, string> = { accept: 'application/json' };
  if (config.api_mode === 'enterprise' && config.username && config.api_key) {
    defaultHeaders.authorization = `Basic ${Buffer.from(`${config.username}:${config.api_key}`).toString('base64')}`;
  }
  const http: HttpClient = createHttpClient({
    connector: CONNECTOR,
    timeoutMs: config.request_timeout_seconds * 1000,
    retries: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 5000, maxRetryAfterMs: 30_000 },
    ssrfPolicy,
    dispatcher,
    userAgent: `certctl-issuer-entrust/${version}`,
    defaultHeaders,
    clock: ctx.clock,
    logger: ctx.logger,
  });
  const who = config.api_mode === 'enterprise' ? 'API user' : 'client certificate';
  let closed = false;
  return {
    async call(request, operation) {
      try {
        return await http.request({ ...request, signal: request.signal ?? ctx.signal });
      } catch (error) {
        throw entrustError(error, operation, config.api_mode, who);
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      await dispatcher.close();
    },
  };
}

/** Entrust's own words from an error body: `{error: {message}}` (CA Gateway) or `{errors: [{message}]}` (enterprise). */
export function entrustMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { error?: { message?: unknown }; errors?: { message?: unknown }[] };
    if (parsed.error && typeof parsed.error.message === 'string') return parsed.error.message.slice(0, 300);
    if (Array.isArray(parsed.errors) && parsed.errors.length > 0)
      return parsed.errors
        .map((e) => String(e?.message ?? ''))
        .filter(Boolean)
        .join('; ')
        .slice(0, 300);
  } catch {
    // Not JSON: a proxy's HTML page, say.
  }
  return undefined;
}

function entrustError(
  error: unknown,
  operation: EntrustOperation,
  mode: EntrustIssuerConfig['api_mode'],
  who: string,
): unknown {
  if (!VendorApiError.isInstance(error) || error.status === undefined) return error;
  const said = entrustMessage(error.body) ?? `HTTP ${error.status}`;
  if (error.status === 401) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message:
        mode === 'enterprise'
          ? `${operation.what} was refused (401: ${said}); check username and api_key (Entrust portal: Administration > Advanced Settings > API) and that the client certificate is the one registered with them`
          : `${operation.what} was refused (401: ${said}); register the certificate in client_cert_path with the CA Gateway`,
      cause: error,
    });
  }
  if (error.status === 403) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${operation.what} was refused (403: ${said}); the ${who} lacks the '${operation.permission}' permission: grant it in Entrust and retry`,
      cause: error,
    });
  }
  return new VendorApiError({
    connector: CONNECTOR,
    status: error.status,
    body: error.body,
    retryAfterSeconds: error.retryAfterSeconds,
    message: `${operation.what} failed (${error.status}: ${said})`,
    cause: error,
  });
}
