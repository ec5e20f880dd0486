/**
 * HTTP to CertCentral through the house client: X-DC-DEVKEY on every call, the operator's CA bundle
 * when set, and DigiCert's `{"errors":[{"code","message"}]}` bodies turned into typed errors whose
 * messages say what to do (401: the key; 403: the permission the call needs).
 */
import { createVendorApiClient, type HttpResponse } from '@certctl/connector-utils';
import { AuthenticationError, type ConnectorContext, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import type { DigicertIssuerConfig } from './digicert-config.js';

export interface DigicertCall {
  method: 'GET' | 'POST' | 'PUT';
  /** Path below base_url, e.g. `order/certificate/123`. */
  path: string;
  query?: Record<string, string>;
  body?: unknown;
  signal?: AbortSignal;
  /** What the call needs, for a 403: `place orders`, `revoke certificates`. */
  permission: string;
}

export interface DigicertClient {
  call(call: DigicertCall): Promise<HttpResponse>;
  json<T>(call: DigicertCall): Promise<T>;
  close(): Promise<void>;
}

/** DigiCert's own words from an error body: `invalid_csr: The CSR is invalid`. */
export function digicertErrors(body: string | undefined): { codes: string[]; text: string } | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[] };
    if (!Array.isArray(parsed.errors) || parsed.errors.length === 0) return undefined;
    const codes = parsed.errors.map((e) => String(e.code ?? ''));
    const text = parsed.errors
      .map((e) => `${String(e.code ?? 'error')}: ${String(e.message ?? '')}`)
      .join('; ')
      .slice(0, 400);
    return { codes, text };
  } catch {
    return undefined;
  }
}

export function createDigicertClient(
  config: DigicertIssuerConfig,
  ctx: ConnectorContext,
  version: string,
): DigicertClient {
  const base = config.base_url.replace(/\/+$/, '');
  const api = createVendorApiClient({
    connector: CONNECTOR,
    timeoutMs: config.request_timeout_seconds * 1000,
    retries: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 8_000 },
    userAgent: `certctl-issuer-digicert/${version}`,
    defaultHeaders: { 'x-dc-devkey': config.api_key, accept: 'application/json' },
    context: ctx,
    caBundlePath: config.ca_bundle_path,
  });

  const call = async (request: DigicertCall): Promise<HttpResponse> => {
    const url = new URL(`${base}/${request.path}`);
    for (const [k, v] of Object.entries(request.query ?? {})) url.searchParams.set(k, v);
    const http = await api.open();
    try {
      return await http.request({ method: request.method, url, body: request.body, signal: request.signal });
    } catch (error) {
      throw digicertError(error, `${request.method} /${request.path.replace(/\?.*$/, '')}`, request.permission);
    }
  };

  return {
    call,
    async json<T>(request: DigicertCall) {
      return (await call(request)).json<T>();
    },
    close: () => api.close(),
  };
}

function digicertError(error: unknown, label: string, permission: string): unknown {
  if (!VendorApiError.isInstance(error) || error.status === undefined) return error;
  const said = digicertErrors(error.body);
  const words = said?.text ?? `HTTP ${error.status}`;
  if (error.status === 401) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${label} was refused (401 ${words}): the API key is wrong, revoked or expired; create one in CertCentral (Automation > API Keys) and update api_key`,
      cause: error,
    });
  }
  if (error.status === 403) {
    const orgProblem = said?.codes.some((c) => c.includes('organization'));
    return new AuthenticationError({
      connector: CONNECTOR,
      message: orgProblem
        ? `${label} was refused (403 ${words}): org_id is not an organization this key's user may order for; check org_id in CertCentral (Certificates > Organizations)`
        : `${label} was refused (403 ${words}): the API key lacks the permission to ${permission}; give its user a role that may (e.g. Administrator or Manager) and an API key restriction that allows orders`,
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
        ? `${label} was rate limited by DigiCert (429${error.retryAfterSeconds ? `, retry after ${error.retryAfterSeconds} s` : ''})`
        : `${label} failed (${error.status} ${words})`,
    cause: error,
  });
}
