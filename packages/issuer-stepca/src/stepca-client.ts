/**
 * HTTPS to step-ca with its root pinned: TLS trusts `root_cert_path` and nothing else (not the
 * system store). Refusals in step-ca's `{"status": 401, "message": "..."}` shape become typed errors.
 */
import { createHttpClient, createSsrfPolicy } from '@certctl/connector-utils';
import type { ConnectorContext } from '@certctl/core';
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
  const client = createHttpClient({
    connector: CONNECTOR,
    context: ctx,
    baseUrl: options.caUrl.replace(/\/+$/, ''),
    ssrfPolicy: createSsrfPolicy({ connector: CONNECTOR, allowPrivate: true, allowLoopback: true }),
    ca: options.rootPem,
    timeoutMs: options.timeoutMs,
    retries: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 },
    userAgent: `certctl-issuer-stepca/${options.version}`,
    errors: {
      authStatuses: [401],
      vendorMessage: stepcaMessage,
      hint: (status) => (status === 401 ? 'check provisioner_name, the provisioner key and the clock' : undefined),
    },
  });

  const call = async <T>(method: 'GET' | 'POST', path: string, body: unknown, signal?: AbortSignal): Promise<T> =>
    (await client.request({ method, url: path, body, signal })).json<T>();

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
