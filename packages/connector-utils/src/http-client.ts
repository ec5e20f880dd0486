import {
  AuthenticationError,
  type Clock,
  type ConnectorContext,
  ConnectorError,
  type ConnectorLogger,
  createDeadlineSignal,
  DeadlineExceededError,
  isRetryable,
  MalformedInputError,
  VendorApiError,
} from '@certctl/core';
import { rootCertificates } from 'node:tls';
import { type Dispatcher, request as undiciRequest } from 'undici';
import { createMtlsAgent, type MtlsAgentOptions } from './mtls-agent.js';
import { fullJitterDelay, parseRetryAfter } from './retry-backoff.js';
import { redactValues, sensitiveHeaderValues } from './secret-redaction.js';
import { createSsrfAgent } from './ssrf-agent.js';
import type { SsrfPolicy } from './ssrf-policy.js';
import { ssrfPolicyForNetwork } from './config-urls.js';
import { systemClock } from './system-clock.js';

export interface RetryOptions {
  /** Total attempts including the first; 1 disables retries. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured; a vendor asking for more gets this much. Default 60 s. */
  maxRetryAfterMs?: number;
}

/** How a vendor's refusals become typed errors with a sentence for the operator. */
export interface VendorErrorOptions {
  /** Statuses that mean the credential was refused (AuthenticationError, never retried); default 401 and 403. */
  authStatuses?: readonly number[];
  /** The vendor's own words from an error body (Vault's `errors`, step-ca's `message`); default a snippet of the body. */
  vendorMessage?: (body: string) => string | undefined;
  /** What the operator should do about this answer, e.g. which permission the API key lacks. */
  hint?: (status: number, body: string) => string | undefined;
}

export interface HttpClientOptions {
  /** Connector id for error messages, e.g. `issuer-digicert`. */
  connector: string;
  /**
   * The connector's context: its clock and logger are the defaults, its `signal` (the app stopping the
   * connector) aborts every request, and its `network` (the app's policy) is the default SSRF policy
   * and adds the app's trusted CAs.
   */
  context?: Pick<ConnectorContext, 'network' | 'clock' | 'logger' | 'signal'>;
  /** Prefixed to a request URL that is not absolute, as is (trailing slashes kept), e.g. `https://vault:8200/v1/`. */
  baseUrl?: string;
  /** Deadline of one attempt (connect to the last body byte). */
  timeoutMs: number;
  /** Deadline of the whole call including retries; default `timeoutMs * maxAttempts + maxDelayMs * (maxAttempts - 1)`. */
  overallTimeoutMs?: number;
  retries?: RetryOptions;
  /** Defaults to the app's policy (`context.network`), else the strict policy (public addresses only). */
  ssrfPolicy?: SsrfPolicy;
  /**
   * Where requests go; defaults to an SSRF-pinned agent for `ssrfPolicy`. A custom dispatcher should
   * be built with the policy too (`createMtlsAgent({ ssrfPolicy })`); the client also checks each URL first.
   */
  dispatcher?: Dispatcher;
  /** PEM CA certificate(s) that alone are trusted for TLS (a pinned private CA); default the system store plus `context.network.ca`. */
  ca?: string | readonly string[];
  /** A client certificate for mutual TLS, reloaded when the files rotate (see createMtlsAgent). */
  mtls?: Omit<MtlsAgentOptions, 'ssrfPolicy' | 'connector' | 'logger'>;
  /** Turns refusals into AuthenticationError / VendorApiError with a hint; without it every non-2xx is a VendorApiError. */
  errors?: VendorErrorOptions;
  userAgent: string;
  /** Headers sent on every request (e.g. an API key); request headers override them. */
  defaultHeaders?: Record<string, string>;
  /** Largest response body read, in bytes; default 10 MiB. */
  maxResponseBytes?: number;
  clock?: Clock;
  /** Source of jitter in [0, 1); tests pass a fixed one. */
  random?: () => number;
  logger?: ConnectorLogger;
}

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS' | (string & {});

export interface HttpRequest {
  method: HttpMethod;
  /** Absolute, or relative to the client's `baseUrl`. */
  url: string | URL;
  headers?: Record<string, string>;
  /** A string or bytes are sent as-is; anything else is sent as JSON with `content-type: application/json`. */
  body?: string | Uint8Array | unknown;
  signal?: AbortSignal;
  /** Overrides the client's per-attempt deadline. */
  timeoutMs?: number;
  /** Whether repeating the request is safe; defaults to true for GET, HEAD, OPTIONS, PUT, DELETE. */
  idempotent?: boolean;
  /** Names the request in errors and logs instead of `METHOD origin/path`: required when the URL is the credential (Slack, Teams). */
  label?: string;
  /**
   * Statuses returned as a response rather than thrown: a list of non-2xx ones besides 2xx (401 in a
   * challenge-response handshake), or a predicate that decides alone (a protocol client reading its 4xx).
   */
  acceptStatus?: readonly number[] | ((status: number) => boolean);
  /**
   * Retry a retryable answer (429, 5xx) even when the request is not idempotent, because the protocol
   * refuses a replay that was already processed (ACME's single-use nonces). Network errors still follow `idempotent`.
   */
  retryStatuses?: boolean;
}

export interface HttpResponse {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  body: Uint8Array;
  text(): string;
  json<T = unknown>(): T;
}

export interface HttpClient {
  /** Sends a request with deadlines, SSRF policy and bounded retries; throws VendorApiError on non-2xx. */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Closes the client's own connection pool (not a dispatcher or fetch that was passed in); idempotent. */
  close(): Promise<void>;
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: AsyncIterable<Uint8Array>;
  cancel(): void;
}

type Transport = (
  url: URL,
  init: { method: string; headers: Record<string, string>; body: string | Uint8Array | undefined; signal: AbortSignal },
) => Promise<RawResponse>;

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const ERROR_SNIPPET_CHARS = 200;
const isSuccess = (status: number) => status >= 200 && status <= 299;

/**
 * The one HTTP client of connectors and apps: deadlines, abort, SSRF policy, optional pinned CA and
 * mutual TLS, bounded retries of retryable failures with full-jitter backoff (or the vendor's
 * Retry-After), and vendor refusals turned into typed errors.
 */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const retries = options.retries ?? { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
  const maxAttempts = Math.max(1, Math.floor(retries.maxAttempts));
  const maxRetryAfterMs = retries.maxRetryAfterMs ?? 60_000;
  const overallTimeoutMs =
    options.overallTimeoutMs ?? options.timeoutMs * maxAttempts + retries.maxDelayMs * (maxAttempts - 1);
  const context = options.context;
  const clock = options.clock ?? context?.clock ?? systemClock;
  const logger = options.logger ?? context?.logger;
  const random = options.random ?? Math.random;
  const maxResponseBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  const connector = options.connector;
  const { transport, policy, ownDispatcher: created } = chooseTransport(options);
  let ownDispatcher = created;

  const fail = (
    status: number,
    bytes: Uint8Array,
    headers: Record<string, string>,
    label: string,
    sent: Record<string, string>,
  ) => {
    const text = redactValues(new TextDecoder().decode(bytes.subarray(0, 8192)), sensitiveHeaderValues(sent));
    const errors = options.errors;
    const said = errors?.vendorMessage?.(text) ?? text.replace(/\s+/g, ' ').trim().slice(0, ERROR_SNIPPET_CHARS);
    const hint =
      errors?.hint?.(status, text) ??
      (status >= 300 && status <= 399 ? 'redirects are not followed: configure the URL it points to' : undefined);
    const message = `${label} returned ${status}${said ? `: ${said}` : ''}${hint ? `; ${hint}` : ''}`;
    if (errors && (errors.authStatuses ?? [401, 403]).includes(status)) {
      return new AuthenticationError({ connector, message });
    }
    return new VendorApiError({
      connector,
      status,
      body: text,
      retryAfterSeconds: parseRetryAfter(headers['retry-after'], clock.now()),
      message,
    });
  };

  const attempt = async (
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
    timeoutMs: number,
    stop: AbortSignal,
    label: string,
    acceptStatus: (status: number) => boolean,
  ): Promise<HttpResponse> => {
    const deadline = createDeadlineSignal(timeoutMs, [stop]);
    try {
      const response = await transport(url, { method, headers, body, signal: deadline.signal });
      const bytes = await readCapped(response, maxResponseBytes, label, connector);
      if (!acceptStatus(response.status)) throw fail(response.status, bytes, response.headers, label, headers);
      return makeResponse(response.status, response.headers, bytes, label, connector);
    } catch (error) {
      if (ConnectorError.isInstance(error)) throw error;
      if (stop.aborted) {
        throw new DeadlineExceededError({ connector, message: `${label} was aborted`, cause: stop.reason });
      }
      if (deadline.timedOut()) {
        throw new DeadlineExceededError({
          connector,
          message: `${label} timed out after ${timeoutMs} ms`,
          cause: error,
        });
      }
      throw networkError(error, label, connector);
    } finally {
      deadline.dispose();
    }
  };

  const resolveUrl = (url: string | URL): URL => {
    if (typeof url === 'string' && options.baseUrl && !/^[a-z][a-z0-9+.-]*:/i.test(url))
      return new URL(options.baseUrl + url);
    return new URL(url);
  };

  return {
    async request(request) {
      const method = request.method.toUpperCase();
      const url = policy.assertUrl(resolveUrl(request.url));
      if (options.dispatcher) await policy.checkUrl(url);
      const { headers, body } = encodeRequest(options, request);
      const retryAllowed = request.idempotent ?? IDEMPOTENT_METHODS.has(method);
      const deadline = clock.now().getTime() + overallTimeoutMs;
      const label = request.label ?? describeRequest(method, url);
      const accepted = request.acceptStatus;
      const acceptStatus =
        typeof accepted === 'function'
          ? accepted
          : (status: number) => isSuccess(status) || (accepted?.includes(status) ?? false);
      const stop = createDeadlineSignal(undefined, [request.signal, context?.signal]);
      const aborted = () =>
        new DeadlineExceededError({ connector, message: `${label} was aborted`, cause: stop.signal.reason });

      try {
        for (let attemptNumber = 1; ; attemptNumber++) {
          const remaining = deadline - clock.now().getTime();
          if (stop.signal.aborted) throw aborted();
          if (remaining <= 0) {
            throw new DeadlineExceededError({
              connector,
              message: `${label} ran out of time after ${attemptNumber - 1} attempts`,
            });
          }
          try {
            return await attempt(
              method,
              url,
              headers,
              body,
              Math.min(request.timeoutMs ?? options.timeoutMs, remaining),
              stop.signal,
              label,
              acceptStatus,
            );
          } catch (error) {
            const answered = VendorApiError.isInstance(error) && error.status !== undefined;
            const repeatable = retryAllowed || (request.retryStatuses === true && answered);
            if (stop.signal.aborted || !repeatable || !isRetryable(error) || attemptNumber >= maxAttempts) throw error;
            const retryAfterSeconds = VendorApiError.isInstance(error) ? error.retryAfterSeconds : undefined;
            const delay =
              retryAfterSeconds === undefined
                ? fullJitterDelay(attemptNumber, retries.baseDelayMs, retries.maxDelayMs, random)
                : Math.min(retryAfterSeconds * 1000, maxRetryAfterMs);
            // Sleeping past the deadline only to fail later helps nobody.
            if (clock.now().getTime() + delay >= deadline) throw error;
            logger?.debug(
              { attempt: attemptNumber, delayMs: delay, error: (error as Error).message },
              `retrying ${label}`,
            );
            try {
              await clock.sleep(delay, stop.signal);
            } catch {
              throw aborted();
            }
          }
        }
      } finally {
        stop.dispose();
      }
    },
    async close() {
      const closing = ownDispatcher;
      ownDispatcher = undefined;
      await closing?.close();
    },
  };
}

/** Where requests go: a given dispatcher, or an agent of our own obeying the policy (pinned CA or mTLS when asked). */
function chooseTransport(options: HttpClientOptions): {
  transport: Transport;
  policy: SsrfPolicy;
  ownDispatcher: Dispatcher | undefined;
} {
  const network = options.context?.network;
  const policy = options.ssrfPolicy ?? ssrfPolicyForNetwork(network, options.connector);
  const ca = options.ca ? [options.ca].flat() : network?.ca?.length ? [...rootCertificates, ...network.ca] : undefined;
  let ownDispatcher: Dispatcher | undefined;
  if (!options.dispatcher) {
    ownDispatcher = options.mtls
      ? createMtlsAgent({
          ...options.mtls,
          ssrfPolicy: policy,
          connector: options.connector,
          logger: options.logger ?? options.context?.logger,
        })
      : createSsrfAgent(policy, { connect: ca ? { ca } : {} });
  }
  return { transport: dispatcherTransport((options.dispatcher ?? ownDispatcher)!), policy, ownDispatcher };
}

function dispatcherTransport(dispatcher: Dispatcher): Transport {
  return async (url, init) => {
    const response = await undiciRequest(url, {
      method: init.method as Dispatcher.HttpMethod,
      headers: init.headers,
      body: init.body,
      signal: init.signal,
      dispatcher,
    });
    return {
      status: response.statusCode,
      headers: flattenHeaders(response.headers),
      body: response.body,
      cancel: () => response.body.destroy(),
    };
  };
}

function networkError(error: unknown, label: string, connector: string): ConnectorError {
  const cause = (error as { cause?: unknown }).cause;
  if (ConnectorError.isInstance(cause)) return cause;
  const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code;
  return new VendorApiError({
    connector,
    message: `${label} failed: ${code ?? (error as Error).message ?? 'network error'}`,
    cause: error,
  });
}

/** `GET https://host/path` without the query string or credentials, which may carry secrets. */
function describeRequest(method: string, url: URL): string {
  return `${method} ${url.origin}${url.pathname}`;
}

function encodeRequest(
  options: HttpClientOptions,
  request: HttpRequest,
): { headers: Record<string, string>; body: string | Uint8Array | undefined } {
  const headers: Record<string, string> = { 'user-agent': options.userAgent };
  for (const [name, value] of Object.entries({ ...options.defaultHeaders, ...request.headers })) {
    headers[name.toLowerCase()] = value;
  }
  const raw = request.body;
  if (raw === undefined) return { headers, body: undefined };
  if (typeof raw === 'string' || raw instanceof Uint8Array) return { headers, body: raw };
  headers['content-type'] ??= 'application/json';
  return { headers, body: JSON.stringify(raw) };
}

async function readCapped(
  response: RawResponse,
  maxBytes: number,
  label: string,
  connector: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of response.body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      response.cancel();
      throw new VendorApiError({
        connector,
        status: undefined,
        retryable: false,
        message: `${label} returned more than ${maxBytes} bytes; refusing to read the rest`,
      });
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) flat[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function makeResponse(
  status: number,
  headers: Record<string, string>,
  body: Uint8Array,
  label: string,
  connector: string,
): HttpResponse {
  const text = () => new TextDecoder().decode(body);
  return {
    status,
    headers,
    body,
    text,
    json<T>(): T {
      try {
        return JSON.parse(text()) as T;
      } catch (cause) {
        throw new MalformedInputError({
          connector,
          inputKind: 'json',
          message: `${label} returned a body that is not JSON`,
          cause,
        });
      }
    },
  };
}
