/**
 * HTTP(S) to an internal service the operator named (a private CA, a secrets manager): TLS trusts only
 * the pinned CA certificate when one is given, private and loopback addresses are allowed while
 * metadata and link-local ones stay refused, and each vendor turns refusals into its own typed errors.
 */
import type { ConnectorContext } from '@certctl/core';
import { createHttpClient, type HttpResponse } from './http-client.js';
import { createSsrfAgent } from './ssrf-agent.js';
import { createSsrfPolicy } from './ssrf-policy.js';

export interface PinnedServiceClientOptions {
  /** Connector id for error messages, e.g. `issuer-stepca`. */
  connector: string;
  /** Prefixed to every request path as is (trailing slashes kept), e.g. `https://vault:8200/v1/`. */
  baseUrl: string;
  /** PEM CA certificate(s) that alone are trusted for TLS; undefined keeps Node's default trust store. */
  caPem?: string;
  timeoutMs: number;
  userAgent: string;
  defaultHeaders?: Record<string, string>;
  ctx: Pick<ConnectorContext, 'clock' | 'logger' | 'signal'>;
  /** The vendor's typed error for a failed call (return `error` itself to rethrow it unchanged). */
  vendorError(error: unknown, method: 'GET' | 'POST', path: string): unknown;
}

export interface PinnedServiceClient {
  request(method: 'GET' | 'POST', path: string, body?: unknown, signal?: AbortSignal): Promise<HttpResponse>;
  /** Idempotent. */
  close(): Promise<void>;
}

export function createPinnedServiceClient(options: PinnedServiceClientOptions): PinnedServiceClient {
  const { connector, ctx } = options;
  const ssrfPolicy = createSsrfPolicy({ connector, allowPrivate: true, allowLoopback: true });
  const dispatcher = createSsrfAgent(ssrfPolicy, { connect: options.caPem ? { ca: options.caPem } : {} });
  const http = createHttpClient({
    connector,
    timeoutMs: options.timeoutMs,
    retries: { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 2000 },
    ssrfPolicy,
    dispatcher,
    userAgent: options.userAgent,
    ...(options.defaultHeaders ? { defaultHeaders: options.defaultHeaders } : {}),
    clock: ctx.clock,
    logger: ctx.logger,
  });
  let closed = false;
  return {
    async request(method, path, body, signal) {
      try {
        return await http.request({ method, url: options.baseUrl + path, body, signal: signal ?? ctx.signal });
      } catch (error) {
        throw options.vendorError(error, method, path);
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
