import {
  type Clock,
  ConnectorError,
  type ConnectorLogger,
  DeadlineExceededError,
  isRetryable,
  MalformedInputError,
  VendorApiError,
} from '@certctl/core';
import { type Dispatcher, request as undiciRequest } from 'undici';
import { fullJitterDelay, parseRetryAfter } from './retry-backoff.js';
import { redactValues, sensitiveHeaderValues } from './secret-redaction.js';
import { createSsrfAgent } from './ssrf-agent.js';
import { createSsrfPolicy, type SsrfPolicy } from './ssrf-policy.js';
import { systemClock } from './system-clock.js';

export interface RetryOptions {
  /** Total attempts including the first; 1 disables retries. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest Retry-After honoured; a vendor asking for more gets this much. Default 60 s. */
  maxRetryAfterMs?: number;
}

export interface HttpClientOptions {
  /** Connector id for error messages, e.g. `issuer-digicert`. */
  connector: string;
  /** Deadline of one attempt (connect to the last body byte). */
  timeoutMs: number;
  /** Deadline of the whole call including retries; default `timeoutMs * maxAttempts + maxDelayMs * (maxAttempts - 1)`. */
  overallTimeoutMs?: number;
  retries?: RetryOptions;
  /** Defaults to the strict policy (public addresses only). */
  ssrfPolicy?: SsrfPolicy;
  /**
   * Where requests go; defaults to an SSRF-pinned agent for `ssrfPolicy`. A custom dispatcher should
   * be built with the policy too (`createMtlsAgent({ ssrfPolicy })`); the client also checks each URL first.
   */
  dispatcher?: Dispatcher;
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
  url: string | URL;
  headers?: Record<string, string>;
  /** A string or bytes are sent as-is; anything else is sent as JSON with `content-type: application/json`. */
  body?: string | Uint8Array | unknown;
  signal?: AbortSignal;
  /** Overrides the client's per-attempt deadline. */
  timeoutMs?: number;
  /** Whether repeating the request is safe; defaults to true for GET, HEAD, OPTIONS, PUT, DELETE. */
  idempotent?: boolean;
  /** Non-2xx statuses returned as a response instead of thrown (e.g. 401 in a challenge-response handshake). */
  acceptStatus?: readonly number[];
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
  /** Closes the client's own connection pool (not a dispatcher that was passed in). */
  close(): Promise<void>;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);
const ERROR_SNIPPET_CHARS = 200;

/** Creates an HTTP client for one connector: deadlines, SSRF policy, typed errors and retries with full jitter. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const retries = options.retries ?? { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
  const maxAttempts = Math.max(1, Math.floor(retries.maxAttempts));
  const maxRetryAfterMs = retries.maxRetryAfterMs ?? 60_000;
  const overallTimeoutMs =
    options.overallTimeoutMs ?? options.timeoutMs * maxAttempts + retries.maxDelayMs * (maxAttempts - 1);
  const policy = options.ssrfPolicy ?? createSsrfPolicy({ connector: options.connector });
  const ownDispatcher = options.dispatcher ? undefined : createSsrfAgent(policy);
  const dispatcher = options.dispatcher ?? ownDispatcher!;
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const maxResponseBytes = options.maxResponseBytes ?? 10 * 1024 * 1024;
  const connector = options.connector;

  const attempt = async (
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | Uint8Array | undefined,
    timeoutMs: number,
    callerSignal: AbortSignal | undefined,
    acceptStatus: readonly number[] = [],
  ): Promise<HttpResponse> => {
    const label = describeRequest(method, url);
    const timeoutSignal = AbortSignal.timeout(Math.max(1, timeoutMs));
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeoutSignal]) : timeoutSignal;
    try {
      const response = await undiciRequest(url, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        signal,
        dispatcher,
      });
      const bytes = await readCapped(response.body, maxResponseBytes, label, connector);
      const responseHeaders = flattenHeaders(response.headers);
      if ((response.statusCode < 200 || response.statusCode > 299) && !acceptStatus.includes(response.statusCode)) {
        const secrets = sensitiveHeaderValues(headers);
        const text = redactValues(new TextDecoder().decode(bytes.subarray(0, 8192)), secrets);
        const snippet = text.replace(/\s+/g, ' ').trim().slice(0, ERROR_SNIPPET_CHARS);
        throw new VendorApiError({
          connector,
          status: response.statusCode,
          body: text,
          retryAfterSeconds: parseRetryAfter(responseHeaders['retry-after'], clock.now()),
          message: `${label} returned ${response.statusCode}${snippet ? `: ${snippet}` : ''}`,
        });
      }
      return makeResponse(response.statusCode, responseHeaders, bytes, label, connector);
    } catch (error) {
      if (ConnectorError.isInstance(error)) throw error;
      if (callerSignal?.aborted) {
        throw new DeadlineExceededError({ connector, message: `${label} was aborted`, cause: callerSignal.reason });
      }
      if (timeoutSignal.aborted) {
        throw new DeadlineExceededError({
          connector,
          message: `${label} timed out after ${timeoutMs} ms`,
          cause: error,
        });
      }
      const code = (error as NodeJS.ErrnoException).code;
      throw new VendorApiError({
        connector,
        message: `${label} failed: ${code ?? (error as Error).message ?? 'network error'}`,
        cause: error,
      });
    }
  };

  return {
    async request(request) {
      const method = request.method.toUpperCase();
      const url = policy.assertUrl(request.url);
      if (options.dispatcher) await policy.checkUrl(url);
      const { headers, body } = encodeRequest(options, request);
      const retryAllowed = request.idempotent ?? IDEMPOTENT_METHODS.has(method);
      const deadline = clock.now().getTime() + overallTimeoutMs;
      const label = describeRequest(method, url);

      for (let attemptNumber = 1; ; attemptNumber++) {
        const remaining = deadline - clock.now().getTime();
        if (request.signal?.aborted) {
          throw new DeadlineExceededError({ connector, message: `${label} was aborted`, cause: request.signal.reason });
        }
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
            request.signal,
            request.acceptStatus,
          );
        } catch (error) {
          if (request.signal?.aborted || !retryAllowed || !isRetryable(error) || attemptNumber >= maxAttempts)
            throw error;
          const retryAfterSeconds = VendorApiError.isInstance(error) ? error.retryAfterSeconds : undefined;
          const delay =
            retryAfterSeconds === undefined
              ? fullJitterDelay(attemptNumber, retries.baseDelayMs, retries.maxDelayMs, random)
              : Math.min(retryAfterSeconds * 1000, maxRetryAfterMs);
          // Sleeping past the deadline only to fail later helps nobody.
          if (clock.now().getTime() + delay >= deadline) throw error;
          options.logger?.debug(
            { attempt: attemptNumber, delayMs: delay, error: (error as Error).message },
            `retrying ${label}`,
          );
          try {
            await clock.sleep(delay, request.signal);
          } catch (reason) {
            throw new DeadlineExceededError({ connector, message: `${label} was aborted`, cause: reason });
          }
        }
      }
    },
    async close() {
      await ownDispatcher?.close();
    },
  };
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
  body: AsyncIterable<Uint8Array> & { destroy(error?: Error): unknown },
  maxBytes: number,
  label: string,
  connector: string,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of body) {
    total += chunk.byteLength;
    if (total > maxBytes) {
      body.destroy();
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
