/**
 * The HTTP layer under acme-client. acme-client sends every request through one process-wide axios
 * instance, which would bypass the app's fetch (deadlines, SSRF policy, the CA bundle we trust) and
 * share settings between issuers. Rather than fork the library we replace the `request` method of
 * each client's own HttpClient with this function: acme-client keeps doing JWS, nonces and badNonce
 * retries; we do transport, deadlines and bounded retries of 429/5xx with Retry-After.
 */
import { type Clock, VendorApiError } from '@certctl/core';
import { fullJitterDelay, parseRetryAfter } from '@certctl/connector-utils';
import { CONNECTOR } from './connector-name.js';

/** The response shape acme-client reads (axios-like): lower-case headers, parsed JSON or text. */
export interface AcmeHttpResponse {
  status: number;
  headers: Record<string, string>;
  data: unknown;
}

export type AcmeRequestFunction = (
  url: string,
  method: string,
  options?: { data?: unknown; headers?: Record<string, string> },
) => Promise<AcmeHttpResponse>;

export interface AcmeTransportOptions {
  fetch: typeof globalThis.fetch;
  clock: Clock;
  /** Aborts every request of this operation (the operation's deadline). */
  signal?: AbortSignal;
  userAgent: string;
  /** Attempts per request including the first, for 429/5xx and (GET/HEAD only) network errors. */
  maxAttempts?: number;
  /** Longest Retry-After honoured, in ms. */
  maxRetryAfterMs?: number;
  random?: () => number;
}

const RETRYABLE_STATUS = (status: number) => status === 429 || (status >= 500 && status <= 599);

function parseBody(text: string, contentType: string): unknown {
  if (/\bjson\b/i.test(contentType) && text.length > 0) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

export function createAcmeRequest(options: AcmeTransportOptions): AcmeRequestFunction {
  const maxAttempts = options.maxAttempts ?? 4;
  const maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
  const random = options.random ?? Math.random;
  return async (url, method, requestOptions = {}) => {
    const verb = method.toUpperCase();
    const idempotent = verb === 'GET' || verb === 'HEAD';
    const headers: Record<string, string> = { 'user-agent': options.userAgent };
    let body: string | undefined;
    if (requestOptions.data !== undefined && verb !== 'GET' && verb !== 'HEAD') {
      body = JSON.stringify(requestOptions.data);
      headers['content-type'] = 'application/jose+json';
    }
    for (let attempt = 1; ; attempt++) {
      let response: Response;
      try {
        response = await options.fetch(url, { method: verb, headers, body, signal: options.signal, redirect: 'error' });
      } catch (error) {
        if (options.signal?.aborted || !idempotent || attempt >= maxAttempts) {
          throw new VendorApiError({
            connector: CONNECTOR,
            message: `${verb} ${url} failed: ${error instanceof Error ? error.message : String(error)}`,
            cause: error,
          });
        }
        await options.clock.sleep(fullJitterDelay(attempt, 250, 5000, random), options.signal);
        continue;
      }
      const text = verb === 'HEAD' ? '' : await response.text();
      const responseHeaders: Record<string, string> = {};
      response.headers.forEach((value, key) => {
        responseHeaders[key.toLowerCase()] = value;
      });
      if (RETRYABLE_STATUS(response.status) && attempt < maxAttempts) {
        const retryAfterSeconds = parseRetryAfter(responseHeaders['retry-after'], options.clock.now());
        const delay =
          retryAfterSeconds !== undefined
            ? Math.min(retryAfterSeconds * 1000, maxRetryAfterMs)
            : fullJitterDelay(attempt, 250, 5000, random);
        await options.clock.sleep(delay, options.signal);
        continue;
      }
      return {
        status: response.status,
        headers: responseHeaders,
        data: parseBody(text, responseHeaders['content-type'] ?? ''),
      };
    }
  };
}
