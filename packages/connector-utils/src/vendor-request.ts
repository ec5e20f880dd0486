import { AuthenticationError, type Clock, ConnectorError, DeadlineExceededError, VendorApiError } from '@certctl/core';
import { parseRetryAfter } from './retry-backoff.js';
import { systemClock } from './system-clock.js';

export interface VendorRequestOptions {
  /** Connector id for error messages, e.g. `notifier-slack`. */
  connector: string;
  /** What the request is, for messages; never the URL when its path or query carries a credential (Slack, Teams). */
  label: string;
  method: string;
  url: string | URL;
  headers?: Record<string, string>;
  /** Sent as JSON (with `content-type: application/json`) unless it is already a string. */
  body?: unknown;
  signal?: AbortSignal;
  /** Deadline of the exchange, body included. */
  timeoutMs: number;
  /** Statuses that mean the credential was refused; default 401 and 403. */
  authStatuses?: readonly number[];
  /** A sentence for the operator about a failed status, e.g. what the vendor's error code means. */
  hint?: (status: number, body: string) => string | undefined;
  /** For Retry-After dates; default the system clock. */
  clock?: Clock;
}

export interface VendorResponse {
  status: number;
  headers: Headers;
  text: string;
}

const BODY_SNIPPET = 200;

/**
 * One request to a vendor API through the `fetch` the app gave the connector (`ctx.fetch`, which
 * carries the SSRF policy), with a deadline and the answer turned into typed errors: refused
 * credentials become AuthenticationError, other non-2xx VendorApiError with the status, the body and
 * Retry-After (so 429 and 5xx are retryable, other 4xx permanent), network failures a retryable
 * VendorApiError and the deadline DeadlineExceededError.
 */
export async function sendVendorRequest(
  fetch: typeof globalThis.fetch,
  options: VendorRequestOptions,
): Promise<VendorResponse> {
  const { connector, label } = options;
  const timeout = AbortSignal.timeout(Math.max(1, options.timeoutMs));
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = { ...options.headers };
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
  }
  let response: Response;
  let text: string;
  try {
    response = await fetch(options.url, { method: options.method, headers, body, signal, redirect: 'error' });
    text = await response.text();
  } catch (error) {
    if (ConnectorError.isInstance(error)) throw error;
    if (options.signal?.aborted) {
      throw new DeadlineExceededError({ connector, message: `${label} was aborted`, cause: options.signal.reason });
    }
    if (timeout.aborted) {
      throw new DeadlineExceededError({
        connector,
        message: `${label} timed out after ${options.timeoutMs} ms`,
        cause: error,
      });
    }
    const cause = (error as { cause?: unknown }).cause;
    if (ConnectorError.isInstance(cause)) throw cause;
    if (/redirect/i.test(String((cause as Error | undefined)?.message ?? (error as Error).message))) {
      // Vendors that move an endpoint answer 3xx; following it would bypass the URL the operator configured.
      throw new VendorApiError({
        connector,
        retryable: false,
        message: `${label} answered with a redirect, which is not followed`,
        cause: error,
      });
    }
    const code = (cause as NodeJS.ErrnoException | undefined)?.code ?? (error as NodeJS.ErrnoException).code;
    throw new VendorApiError({
      connector,
      message: `${label} failed: ${code ?? (error as Error).message ?? 'network error'}`,
      cause: error,
    });
  }
  if (response.status >= 200 && response.status <= 299)
    return { status: response.status, headers: response.headers, text };

  const snippet = text.replace(/\s+/g, ' ').trim().slice(0, BODY_SNIPPET);
  const hint = options.hint?.(response.status, text);
  const message = `${label} returned ${response.status}${snippet ? `: ${snippet}` : ''}${hint ? `; ${hint}` : ''}`;
  if ((options.authStatuses ?? [401, 403]).includes(response.status)) {
    throw new AuthenticationError({ connector, message });
  }
  throw new VendorApiError({
    connector,
    status: response.status,
    body: text,
    retryAfterSeconds: parseRetryAfter(response.headers.get('retry-after'), (options.clock ?? systemClock).now()),
    message,
  });
}
