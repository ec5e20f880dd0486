/**
 * HTTP to Sectigo Certificate Manager through the house client: the customerUri/login/password
 * headers on every call, the operator's CA bundle when set, and SCM's `{"code","description"}`
 * bodies turned into typed errors (401: the credentials; 403: the privilege the call needs).
 */
import { createVendorApiClient, type HttpResponse } from '@certctl/connector-utils';
import { AuthenticationError, type ConnectorContext, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import type { SectigoIssuerConfig } from './sectigo-config.js';

/** SCM's answer while a certificate cannot be collected yet. */
export const NOT_COLLECTABLE_CODE = -183;

export interface SectigoCall {
  method: 'GET' | 'POST';
  /** Path below base_url, e.g. `ssl/v1/enroll`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
  /** The SCM privilege the call needs, for a 403: `enroll SSL certificates`. */
  privilege: string;
}

export interface SectigoClient {
  call(call: SectigoCall): Promise<HttpResponse>;
  json<T>(call: SectigoCall): Promise<T>;
  close(): Promise<void>;
}

/** SCM's own words from an error body: code and description. */
export function sectigoError(body: string | undefined): { code: number; description: string } | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { code?: unknown; description?: unknown };
    if (typeof parsed.code !== 'number') return undefined;
    return { code: parsed.code, description: String(parsed.description ?? '').slice(0, 300) };
  } catch {
    return undefined;
  }
}

export function createSectigoClient(
  config: SectigoIssuerConfig,
  ctx: ConnectorContext,
  version: string,
): SectigoClient {
  const base = config.base_url.replace(/\/+$/, '');
  const api = createVendorApiClient({
    connector: CONNECTOR,
    timeoutMs: config.request_timeout_seconds * 1000,
    retries: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 8_000 },
    userAgent: `certctl-issuer-sectigo/${version}`,
    defaultHeaders: {
      customeruri: config.customer_uri,
      login: config.login,
      password: config.password,
      accept: 'application/json',
    },
    context: ctx,
    caBundlePath: config.ca_bundle_path,
  });

  const call = async (request: SectigoCall): Promise<HttpResponse> => {
    const url = new URL(`${base}/${request.path}`);
    for (const [k, v] of Object.entries(request.query ?? {})) url.searchParams.set(k, v);
    const http = await api.open();
    try {
      return await http.request({
        method: request.method,
        url,
        body: request.body,
        signal: request.signal,
        ...(request.body !== undefined && { headers: { 'content-type': 'application/json;charset=utf-8' } }),
      });
    } catch (error) {
      throw typedError(error, `${request.method} /${request.path}`, request.privilege);
    }
  };

  return {
    call,
    async json<T>(request: SectigoCall) {
      return (await call(request)).json<T>();
    },
    close: () => api.close(),
  };
}

function typedError(error: unknown, label: string, privilege: string): unknown {
  if (!VendorApiError.isInstance(error) || error.status === undefined) return error;
  const said = sectigoError(error.body);
  const words = said ? `code ${said.code}: ${said.description}` : `HTTP ${error.status}`;
  if (error.status === 401) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${label} was refused (401 ${words}): customer_uri, login or password is wrong, or the API account is disabled; check the account under Settings > Admins in SCM`,
      cause: error,
    });
  }
  if (error.status === 403) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${label} was refused (403 ${words}): the API account lacks the privilege to ${privilege}; give the admin the matching SSL privilege (e.g. "Allow SSL auto approve", "Manage SSL certificates")`,
      cause: error,
    });
  }
  return new VendorApiError({
    connector: CONNECTOR,
    status: error.status,
    body: error.body,
    retryAfterSeconds: error.retryAfterSeconds,
    message:
      error.status === 429
        ? `${label} was rate limited by Sectigo (429${error.retryAfterSeconds ? `, retry after ${error.retryAfterSeconds} s` : ''})`
        : `${label} failed (${error.status} ${words})`,
    cause: error,
  });
}
