/**
 * HTTP to Atlas HVCA: mTLS with the client certificate from disk (reloaded when rotated), the API's
 * TLS pinned to `server_ca_path` when set, and the bearer token from `POST /login` renewed before it
 * expires (and once more when Atlas says it expired). Problem bodies become typed errors.
 */
import {
  createHttpClient,
  createMtlsAgent,
  createSsrfPolicy,
  type HttpClient,
  type HttpRequest,
  type HttpResponse,
} from '@certctl/connector-utils';
import { AuthenticationError, type ConnectorContext, MalformedInputError, VendorApiError } from '@certctl/core';
import { CONNECTOR } from './connector-name.js';
import { atlasBaseUrl, type GlobalSignIssuerConfig } from './globalsign-config.js';

/** What a call does, for messages: the label and the role Atlas checks for it. */
export interface AtlasOperation {
  what: string;
  /** The role as the Atlas portal names it, e.g. `Certificate Issuance`. */
  permission: string;
}

export interface AtlasClient {
  readonly baseUrl: string;
  /** Calls `path` (relative to the API base) with a valid token. */
  call(request: Omit<HttpRequest, 'url'> & { path: string }, operation: AtlasOperation): Promise<HttpResponse>;
  /** Logs in now (testConnection, start). */
  login(signal?: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/** Atlas' own words from a problem body: `{"description": "..."}`. */
export function atlasDescription(body: string | undefined): string | undefined {
  if (!body) return undefined;
  try {
    const parsed = JSON.parse(body) as { description?: unknown; detail?: unknown };
    const text = typeof parsed.description === 'string' ? parsed.description : parsed.detail;
    return typeof text === 'string' ? text.slice(0, 300) : undefined;
  } catch {
    return undefined;
  }
}

export function createAtlasClient(config: GlobalSignIssuerConfig, ctx: ConnectorContext, version: string): AtlasClient {
  const baseUrl = atlasBaseUrl(config);
  // Private and lab Atlas deployments live on internal networks; metadata and link-local stay refused.
  const ssrfPolicy = createSsrfPolicy({ connector: CONNECTOR, allowPrivate: true, allowLoopback: true });
  const dispatcher = createMtlsAgent({
    certPath: config.client_cert_path,
    keyPath: config.client_key_path,
    ...(config.server_ca_path ? { caPath: config.server_ca_path } : {}),
    ssrfPolicy,
    connector: CONNECTOR,
    logger: ctx.logger,
  });
  const http: HttpClient = createHttpClient({
    connector: CONNECTOR,
    timeoutMs: config.request_timeout_seconds * 1000,
    retries: { maxAttempts: 3, baseDelayMs: 500, maxDelayMs: 5000, maxRetryAfterMs: 30_000 },
    ssrfPolicy,
    dispatcher,
    userAgent: `certctl-issuer-globalsign/${version}`,
    defaultHeaders: { accept: 'application/json' },
    clock: ctx.clock,
    logger: ctx.logger,
  });
  let token: { value: string; obtainedAt: number } | undefined;
  let loggingIn: Promise<string> | undefined;
  let closed = false;

  const login = async (signal?: AbortSignal): Promise<string> => {
    let response: HttpResponse;
    try {
      response = await http.request({
        method: 'POST',
        url: `${baseUrl}/login`,
        body: { api_key: config.api_key, api_secret: config.api_secret },
        signal: signal ?? ctx.signal,
        // Logging in twice is harmless.
        idempotent: true,
      });
    } catch (error) {
      throw atlasError(error, { what: 'log in to Atlas', permission: 'API access' }, true);
    }
    const accessToken = response.json<{ access_token?: unknown }>().access_token;
    if (typeof accessToken !== 'string' || accessToken.length === 0) {
      throw new MalformedInputError({
        connector: CONNECTOR,
        inputKind: 'atlas-response',
        message: 'Atlas answered the login without an access_token',
      });
    }
    token = { value: accessToken, obtainedAt: ctx.clock.now().getTime() };
    ctx.logger.debug({}, 'logged in to Atlas; access token renewed');
    return accessToken;
  };

  const accessToken = (signal?: AbortSignal, force = false): Promise<string> => {
    const fresh = token && ctx.clock.now().getTime() - token.obtainedAt < config.token_refresh_seconds * 1000;
    if (!force && fresh) return Promise.resolve(token!.value);
    loggingIn ??= login(signal).finally(() => {
      loggingIn = undefined;
    });
    return loggingIn;
  };

  return {
    baseUrl,
    async call(request, operation) {
      const { path, ...rest } = request;
      const send = async (value: string) =>
        http.request({
          ...rest,
          url: `${baseUrl}${path}`,
          headers: { ...rest.headers, authorization: `Bearer ${value}` },
          signal: rest.signal ?? ctx.signal,
        });
      try {
        try {
          return await send(await accessToken(rest.signal));
        } catch (error) {
          // A token Atlas expired early (or revoked) is replaced once; a second 401 is real.
          if (!VendorApiError.isInstance(error) || error.status !== 401) throw error;
          token = undefined;
          return await send(await accessToken(rest.signal, true));
        }
      } catch (error) {
        throw atlasError(error, operation, false);
      }
    },
    async login(signal) {
      await accessToken(signal, true);
    },
    async close() {
      if (closed) return;
      closed = true;
      await http.close();
      await dispatcher.close();
    },
  };
}

function atlasError(error: unknown, operation: AtlasOperation, loggingIn: boolean): unknown {
  if (!VendorApiError.isInstance(error) || error.status === undefined) return error;
  const said = atlasDescription(error.body) ?? `HTTP ${error.status}`;
  if (error.status === 401) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: loggingIn
        ? `${operation.what} was refused (401: ${said}); check api_key and api_secret, and that client_cert_path holds the certificate bound to that key`
        : `${operation.what} was refused (401: ${said}) even with a fresh token; check that the API key is still active`,
      cause: error,
    });
  }
  if (error.status === 403) {
    return new AuthenticationError({
      connector: CONNECTOR,
      message: `${operation.what} was refused (403: ${said}); the API key lacks the '${operation.permission}' permission: grant that role to the key in Atlas`,
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
