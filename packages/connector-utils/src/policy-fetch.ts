import { ConnectorError, DeadlineExceededError } from '@certctl/core';
import { type Dispatcher, fetch as undiciFetch } from 'undici';
import { createSsrfAgent } from './ssrf-agent.js';
import { createSsrfPolicy, type SsrfPolicy } from './ssrf-policy.js';

export interface FetchOptions {
  /** Connector id for error messages. */
  connector?: string;
  /** Deadline for the whole exchange, including reading the body. */
  timeoutMs: number;
  /** Defaults to the strict policy (public addresses only). */
  ssrfPolicy?: SsrfPolicy;
  /** Defaults to an SSRF-pinned agent; a custom one should be built with the same policy. */
  dispatcher?: Dispatcher;
  /** Sent when the caller sets no `user-agent`. */
  userAgent?: string;
}

/**
 * A WHATWG-compatible `fetch` with a deadline and the SSRF policy applied to every connection
 * (redirects included); apps hand it to connectors as `ctx.fetch`. Policy refusals reject with the
 * ConnectorError itself and deadlines with DeadlineExceededError, rather than a bare TypeError.
 */
export function createFetch(options: FetchOptions): typeof globalThis.fetch {
  const policy = options.ssrfPolicy ?? createSsrfPolicy({ connector: options.connector });
  const dispatcher = options.dispatcher ?? createSsrfAgent(policy);
  const connector = options.connector;

  const policyFetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    let url: string;
    let requestInit: RequestInit = { ...init };
    if (typeof input === 'string' || input instanceof URL) {
      url = String(input);
    } else {
      // A Request from another fetch implementation: carry its parts over explicitly.
      url = input.url;
      const hasBody = input.method !== 'GET' && input.method !== 'HEAD';
      requestInit = {
        method: input.method,
        headers: input.headers,
        redirect: input.redirect,
        body: hasBody ? await input.arrayBuffer() : undefined,
        signal: input.signal,
        ...init,
      };
    }
    const target = policy.assertUrl(url);
    if (options.dispatcher) await policy.checkUrl(target);
    const headers = new Headers(requestInit.headers);
    if (options.userAgent && !headers.has('user-agent')) headers.set('user-agent', options.userAgent);

    const timeoutSignal = AbortSignal.timeout(options.timeoutMs);
    const callerSignal = requestInit.signal ?? undefined;
    const signal = callerSignal ? AbortSignal.any([callerSignal, timeoutSignal]) : timeoutSignal;
    const label = `${(requestInit.method ?? 'GET').toUpperCase()} ${target.origin}${target.pathname}`;
    try {
      const response = await undiciFetch(target, {
        ...(requestInit as Record<string, unknown>),
        headers: [...headers],
        signal,
        dispatcher,
      });
      return response as unknown as Response;
    } catch (error) {
      if (timeoutSignal.aborted && !callerSignal?.aborted) {
        throw new DeadlineExceededError({
          connector,
          message: `${label} timed out after ${options.timeoutMs} ms`,
          cause: error,
        });
      }
      const cause = (error as { cause?: unknown }).cause;
      if (ConnectorError.isInstance(cause)) throw cause;
      throw error;
    }
  };
  return policyFetch as typeof globalThis.fetch;
}
