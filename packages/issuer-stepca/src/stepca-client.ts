/**
 * HTTPS to step-ca with its root pinned: TLS trusts `root_cert_path` and nothing else (not the
 * system store). Refusals in step-ca's `{"status": 401, "message": "..."}` shape become typed errors.
 */
import { createPinnedServiceClient } from '@certctl/connector-utils';
import { AuthenticationError, type ConnectorContext, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';

export interface StepcaClient {
  post<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T>;
  get<T>(path: string, signal?: AbortSignal): Promise<T>;
  close(): Promise<void>;
}

export function createStepcaClient(
  options: { caUrl: string; rootPem: string; timeoutMs: number; version: string },
  ctx: ConnectorContext,
): StepcaClient {
  // step-ca is an internal CA the operator named: private and loopback addresses are expected;
  // metadata and link-local addresses stay refused.
  const client = createPinnedServiceClient({
    connector: CONNECTOR,
    baseUrl: options.caUrl.replace(/\/+$/, ''),
    caPem: options.rootPem,
    timeoutMs: options.timeoutMs,
    userAgent: `certctl-issuer-stepca/${options.version}`,
    ctx,
    vendorError: (error, method, path) => stepcaError(error, `${method} ${path}`),
  });

  const call = async <T>(method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal): Promise<T> =>
    (await client.request(method, path, body, signal)).json<T>();

  return {
    post: (path, body, signal) => call('POST', path, body, signal),
    get: (path, signal) => call('GET', path, undefined, signal),
    close: () => client.close(),
  };
}

/** step-ca's `message` from an error body. */
export function stepcaMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string' && parsed.message) return parsed.message.slice(0, 300);
  } catch {
    // Not JSON.
  }
  return undefined;
}

function stepcaError(error: unknown, label: string): unknown {
  if (!VendorApiError.isInstance(error) || error.status === undefined) return error;
  const said = stepcaMessage(error.body) ?? `HTTP ${error.status}`;
  if (error.status === 401) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${label} was refused (401: ${said}); check provisioner_name, the provisioner key and the clock`,
      cause: error,
    });
  }
  return new VendorApiError({
    connector: CONNECTOR,
    status: error.status,
    body: error.body,
    retryAfterSeconds: error.retryAfterSeconds,
    message: `${label} failed (${error.status}: ${said})`,
    cause: error,
  });
}
