/**
 * HTTP to EJBCA's REST API through the house client: mTLS with a client certificate that follows
 * the files on disk, or an OAuth2 bearer token; EJBCA's `{error_code, error_message}` bodies turned
 * into typed errors (401/403 become an AuthenticationError that says which role is missing).
 */
import { readFileSync } from 'node:fs';
import {
  createHttpClient,
  createMtlsAgent,
  createSsrfAgent,
  createSsrfPolicy,
  type HttpResponse,
} from '@certctl/connector-utils';
import { AuthenticationError, ConfigValidationError, type ConnectorContext, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import type { EjbcaIssuerConfig } from './ejbca-config.js';

export interface EjbcaClient {
  request(method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown, signal?: AbortSignal): Promise<HttpResponse>;
  close(): Promise<void>;
}

/** EJBCA's own words from an error body, e.g. `Not authorized to resource /administrator.`. */
export function ejbcaErrorMessage(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { error_message?: unknown };
    if (typeof parsed.error_message === 'string') return parsed.error_message.slice(0, 300);
  } catch {
    // Not JSON: a proxy's page.
  }
  return undefined;
}

export function createEjbcaClient(config: EjbcaIssuerConfig, ctx: ConnectorContext, version: string): EjbcaClient {
  // EJBCA runs inside the operator's network: private and loopback addresses are expected.
  const ssrfPolicy = createSsrfPolicy({ connector: CONNECTOR, allowPrivate: true, allowLoopback: true });
  const dispatcher =
    config.auth_mode === 'mtls'
      ? createMtlsAgent({
          certPath: config.client_cert_path!,
          keyPath: config.client_key_path!,
          ...(config.server_ca_path ? { caPath: config.server_ca_path } : {}),
          ssrfPolicy,
          connector: CONNECTOR,
          logger: ctx.logger,
        })
      : createSsrfAgent(ssrfPolicy, {
          connect: config.server_ca_path ? { ca: readServerCa(config.server_ca_path) } : {},
        });
  const http = createHttpClient({
    connector: CONNECTOR,
    timeoutMs: config.request_timeout_seconds * 1000,
    retries: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 },
    ssrfPolicy,
    dispatcher,
    userAgent: `certctl-issuer-ejbca/${version}`,
    defaultHeaders: {
      accept: 'application/json',
      ...(config.auth_mode === 'oauth2' ? { authorization: `Bearer ${config.token}` } : {}),
    },
    clock: ctx.clock,
    logger: ctx.logger,
  });
  const base = config.api_url.replace(/\/+$/, '');
  let closed = false;
  return {
    async request(method, path, body, signal) {
      try {
        return await http.request({ method, url: `${base}${path}`, body, signal: signal ?? ctx.signal });
      } catch (error) {
        throw ejbcaError(error, `${method} ${path.split('?')[0]}`, config);
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

function readServerCa(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (cause) {
    throw new ConfigValidationError({
      connector: CONNECTOR,
      issues: [
        {
          path: 'server_ca_path',
          message: `cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? 'error'})`,
        },
      ],
    });
  }
}

function ejbcaError(error: unknown, label: string, config: EjbcaIssuerConfig): unknown {
  if (!VendorApiError.isInstance(error) || error.status === undefined) return error;
  const said = ejbcaErrorMessage(error.body) ?? `HTTP ${error.status}`;
  if (error.status === 401 || error.status === 403) {
    const who =
      config.auth_mode === 'mtls'
        ? `add the client certificate (${config.client_cert_path}) to an EJBCA role`
        : 'check that the bearer token is valid and unexpired, and that its identity is in an EJBCA role';
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${label} was refused (${error.status}: ${said}); ${who} with access to CA "${config.ca_name}", certificate profile "${config.cert_profile}" and end entity profile "${config.ee_profile}"`,
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
