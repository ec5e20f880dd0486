import { createHttpClient, createSsrfPolicy } from '@certctl/connector-utils';
import type { McpConfig } from './mcp-config.js';

export interface ApiAnswer {
  status: number;
  contentType: string;
  /** Parsed JSON, text, or `{ base64 }` for a binary answer (a PKCS#12 export, a DER CRL). */
  body: unknown;
}

export interface CertctlApi {
  /** The server's OpenAPI document, read fresh (new routes appear without a rebuild of this package). */
  openApiDocument(signal?: AbortSignal): Promise<unknown>;
  call(request: {
    method: string;
    path: string;
    query?: [string, string][];
    body?: unknown;
    signal?: AbortSignal;
  }): Promise<ApiAnswer>;
  close(): Promise<void>;
}

/** The certctl REST API over the one HTTP client, trusting CERTCTL_CA_BUNDLE when given. */
export function createCertctlApi(config: McpConfig, userAgent: string): CertctlApi {
  const base = config.serverUrl.href.replace(/\/+$/, '');
  const http = createHttpClient({
    connector: 'mcp',
    timeoutMs: config.requestTimeoutMs,
    // The operator named the server: it may be on loopback or the LAN; metadata addresses stay refused.
    ssrfPolicy: createSsrfPolicy({
      connector: 'mcp',
      allowPrivate: true,
      allowLoopback: true,
      allow: [config.serverUrl.hostname.replace(/^\[|\]$/g, '')],
    }),
    ...(config.caPem && { ca: config.caPem }),
    userAgent,
    defaultHeaders: {
      accept: 'application/json',
      ...(config.apiKey && { authorization: `Bearer ${config.apiKey}` }),
    },
  });

  async function call(request: Parameters<CertctlApi['call']>[0]): Promise<ApiAnswer> {
    const query = new URLSearchParams(request.query ?? []).toString();
    const response = await http.request({
      method: request.method,
      url: `${base}${request.path}${query ? `?${query}` : ''}`,
      label: `${request.method} ${request.path}`,
      body: request.body,
      signal: request.signal,
      // Every answer goes back to the model, refusals included (their message says what to fix).
      acceptStatus: () => true,
      idempotent: request.method === 'GET',
    });
    const contentType = response.headers['content-type'] ?? '';
    let body: unknown;
    if (response.body.length === 0) body = null;
    else if (/[/+]json\b/i.test(contentType)) {
      try {
        body = response.json();
      } catch {
        body = response.text();
      }
    } else if (/^text\/|xml|pem/i.test(contentType)) body = response.text();
    else body = { base64: Buffer.from(response.body).toString('base64') };
    return { status: response.status, contentType, body };
  }

  return {
    async openApiDocument(signal) {
      const answer = await call({ method: 'GET', path: '/api/v1/openapi.json', signal });
      if (answer.status !== 200 || typeof answer.body !== 'object' || answer.body === null)
        throw new Error(`${base}/api/v1/openapi.json answered ${answer.status}, not an OpenAPI document`);
      return answer.body;
    },
    call,
    close: () => http.close(),
  };
}
