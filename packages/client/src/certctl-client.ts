import { createHttpClient, createSsrfPolicy, type HttpClient } from '@certctl/connector-utils';
import { VendorApiError } from '@certctl/core';
import createFetchClient, { type Client, type Middleware } from 'openapi-fetch';
import { CertctlApiError, type ErrorEnvelope } from './api-error.js';
import type { paths } from './generated/openapi.js';
import { type Page, paginate } from './pagination.js';
import type { ListItem, ListPath, QueryOf } from './wire-types.js';

export interface CertctlClientOptions {
  /** The server's HTTPS URL, e.g. `https://certctl.internal:8443` (a path prefix is kept). */
  serverUrl: string | URL;
  /** An API key (`Authorization: Bearer`); public routes (health, version) work without one. */
  apiKey?: string;
  /** PEM CA certificate(s) that alone are trusted for the server's TLS (its own CA); default the system store. */
  caPem?: string | readonly string[];
  /** Deadline of one attempt; default 30 s. */
  timeoutMs?: number;
  /** Attempts of a repeatable call (GET, PUT, DELETE) on a network error, 429 or 502/503/504; default 3. */
  maxAttempts?: number;
  userAgent?: string;
}

/** Statuses worth another attempt of a repeatable call; every other answer is returned as it is. */
const RETRIED = new Set([429, 502, 503, 504]);

export interface CertctlClient {
  /**
   * Typed calls by path (openapi-fetch): `api.GET('/api/v1/certificates/{id}', { params: { path: { id } } })`.
   * A 4xx/5xx answer or a network failure throws CertctlApiError, so `data` is the answer.
   */
  api: Client<paths>;
  /** Every item of a list route, page by page: `for await (const cert of client.paginate('/api/v1/certificates'))`. */
  paginate<P extends ListPath>(
    path: P,
    query?: Omit<QueryOf<P, 'get'>, 'page' | 'per_page'>,
    options?: { perPage?: number; limit?: number },
  ): AsyncGenerator<ListItem<P>, void, undefined>;
  /** The server's URL (no trailing slash). */
  baseUrl: string;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

/** A client of one certctl server's REST API, typed from its OpenAPI document. */
export function createCertctlClient(options: CertctlClientOptions): CertctlClient {
  const url = new URL(options.serverUrl);
  const baseUrl = url.href.replace(/\/+$/, '');
  // The operator named the server: it may be on loopback or the LAN; metadata addresses stay refused.
  const http = createHttpClient({
    connector: 'client',
    timeoutMs: options.timeoutMs ?? 30_000,
    retries: { maxAttempts: options.maxAttempts ?? 3, baseDelayMs: 200, maxDelayMs: 2_000 },
    ssrfPolicy: createSsrfPolicy({
      connector: 'client',
      allowPrivate: true,
      allowLoopback: true,
      allow: [url.hostname.replace(/^\[|\]$/g, '')],
    }),
    ...(options.caPem && { ca: options.caPem }),
    userAgent: options.userAgent ?? 'certctl-client',
    defaultHeaders: {
      accept: 'application/json',
      ...(options.apiKey && { authorization: `Bearer ${options.apiKey}` }),
    },
  });
  const api = createFetchClient<paths>({ baseUrl, fetch: transportFetch(http, baseUrl) });
  api.use(throwOnError(baseUrl));
  return {
    api,
    baseUrl,
    paginate(path, query, paging) {
      const fetchPage = async (page: number, perPage: number) => {
        const init = { params: { query: { ...(query ?? {}), page, per_page: perPage } } };
        // biome-ignore lint/suspicious/noExplicitAny: the path is a list route; its query and answer are typed by ListPath.
        const { data } = await (api.GET as any)(path, init);
        return data as Page<ListItem<typeof path>>;
      };
      return paginate(fetchPage, paging);
    },
    close: () => http.close(),
  };
}

const pathOf = (requestUrl: string, baseUrl: string) =>
  requestUrl.startsWith(baseUrl) ? requestUrl.slice(baseUrl.length).split('?')[0]! : requestUrl;

/** openapi-fetch's `fetch`, carried by the one HTTP client (deadlines, CA bundle, bounded retries). */
function transportFetch(http: HttpClient, baseUrl: string) {
  return async (request: Request): Promise<Response> => {
    const method = request.method.toUpperCase();
    const path = pathOf(request.url, baseUrl);
    const body = request.body ? new Uint8Array(await request.arrayBuffer()) : undefined;
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    try {
      const answer = await http.request({
        method,
        url: request.url,
        headers,
        body,
        signal: request.signal,
        label: `${method} ${path}`,
        acceptStatus: (status) => !RETRIED.has(status),
      });
      const empty = answer.status === 204 || answer.status === 304 || method === 'HEAD';
      return new Response(empty ? null : (answer.body as Uint8Array<ArrayBuffer>), {
        status: answer.status,
        headers: answer.headers,
      });
    } catch (error) {
      if (VendorApiError.isInstance(error) && error.status !== undefined)
        throw new CertctlApiError({
          method,
          path,
          status: error.status,
          envelope: parseEnvelope(error.body),
          body: error.body,
          retryAfterSeconds: error.retryAfterSeconds,
        });
      throw new CertctlApiError({ method, path, cause: error, body: (error as Error).message });
    }
  };
}

function parseEnvelope(text: string | undefined): Partial<ErrorEnvelope> | undefined {
  try {
    const parsed = JSON.parse(text ?? '') as Partial<ErrorEnvelope>;
    return parsed && typeof parsed === 'object' && typeof parsed.error === 'string' ? parsed : undefined;
  } catch {
    return undefined;
  }
}

/** Turns a 4xx/5xx answer into a thrown CertctlApiError carrying `{error, message, request_id}` and the status. */
function throwOnError(baseUrl: string): Middleware {
  return {
    async onResponse({ request, response }) {
      if (response.ok || (response.status >= 300 && response.status < 400)) return undefined;
      const text = await response.clone().text();
      throw new CertctlApiError({
        method: request.method,
        path: pathOf(request.url, baseUrl),
        status: response.status,
        envelope: parseEnvelope(text),
        body: text,
      });
    },
  };
}
