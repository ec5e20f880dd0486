import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectorError, DeadlineExceededError, MalformedInputError, VendorApiError } from '@certctl/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createFakeClock } from './fake-clock.js';
import { createHttpClient, type HttpClientOptions } from './http-client.js';
import { createSsrfPolicy } from './ssrf-policy.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

let server: Server;
let base: string;
let handlers: Handler[] = [];
let seen: { method: string; url: string; headers: IncomingMessage['headers']; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const handler = handlers.shift();
      if (handler) handler(req, res, body);
      else res.end('default');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  handlers = [];
  seen = [];
});

const reply =
  (status: number, body = '', headers: Record<string, string> = {}): Handler =>
  (_req, res) => {
    res.writeHead(status, headers);
    res.end(body);
  };

function client(overrides: Partial<HttpClientOptions> = {}) {
  const clock = createFakeClock();
  const http = createHttpClient({
    connector: 'issuer-test',
    timeoutMs: 5_000,
    retries: { maxAttempts: 4, baseDelayMs: 1_000, maxDelayMs: 8_000 },
    ssrfPolicy: createSsrfPolicy({ allowLoopback: true }),
    userAgent: 'certctl-test/1.0',
    clock,
    random: () => 0.5,
    ...overrides,
  });
  return { http, clock };
}

describe('createHttpClient', () => {
  it('returns status, headers and body with text() and json()', async () => {
    handlers.push(reply(200, '{"ok":true}', { 'content-type': 'application/json', 'x-request-id': 'r1' }));
    const { http } = client();
    const response = await http.request({ method: 'GET', url: `${base}/v1/orders` });
    expect(response.status).toBe(200);
    expect(response.headers['x-request-id']).toBe('r1');
    expect(response.text()).toBe('{"ok":true}');
    expect(response.json()).toEqual({ ok: true });
    expect(seen[0]!.headers['user-agent']).toBe('certctl-test/1.0');
    await http.close();
  });

  it('sends a plain object as JSON and bytes as they are', async () => {
    const { http } = client();
    await http.request({ method: 'POST', url: `${base}/json`, body: { common_name: 'a.example' } });
    await http.request({
      method: 'POST',
      url: `${base}/bytes`,
      body: new Uint8Array([104, 105]),
      headers: { 'Content-Type': 'application/octet-stream' },
    });
    expect(seen[0]!.headers['content-type']).toBe('application/json');
    expect(JSON.parse(seen[0]!.body)).toEqual({ common_name: 'a.example' });
    expect(seen[1]!.body).toBe('hi');
    expect(seen[1]!.headers['content-type']).toBe('application/octet-stream');
    await http.close();
  });

  it('throws VendorApiError with status, body and parsed Retry-After on a non-2xx answer', async () => {
    handlers.push(reply(403, '{"error":"API key lacks the Manage orders permission"}', { 'retry-after': '30' }));
    const { http } = client();
    const error = await http.request({ method: 'POST', url: `${base}/v1/orders?api_key=sekrit` }).catch((e) => e);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect(error.status).toBe(403);
    expect(error.retryable).toBe(false);
    expect(error.retryAfterSeconds).toBe(30);
    expect(error.body).toContain('Manage orders');
    expect(error.message).toBe(
      `[certctl] [issuer-test] POST ${base}/v1/orders returned 403: {"error":"API key lacks the Manage orders permission"}`,
    );
    expect(error.message).not.toContain('sekrit');
    await http.close();
  });

  it('never puts an auth header value into the error, even when the vendor echoes it', async () => {
    handlers.push((req, res) => {
      res.writeHead(401);
      res.end(`bad credentials: ${req.headers.authorization} / ${req.headers['x-api-key']}`);
    });
    const { http } = client();
    const error = await http
      .request({
        method: 'GET',
        url: `${base}/me`,
        headers: { Authorization: 'Bearer tok-123456789', 'X-API-Key': 'key-abcdef' },
      })
      .catch((e) => e);
    expect(error.status).toBe(401);
    for (const text of [error.message, error.body]) {
      expect(text).not.toContain('tok-123456789');
      expect(text).not.toContain('key-abcdef');
      expect(text).toContain('[redacted]');
    }
    await http.close();
  });

  it('retries a 503 on GET with exponential full-jitter backoff and then succeeds', async () => {
    handlers.push(reply(503), reply(503), reply(200, 'done'));
    const { http, clock } = client();
    const response = await http.request({ method: 'GET', url: `${base}/flaky` });
    expect(response.text()).toBe('done');
    expect(seen).toHaveLength(3);
    // random() = 0.5: half of 1 s, then half of 2 s.
    expect(clock.sleeps).toEqual([500, 1_000]);
    await http.close();
  });

  it('honours Retry-After, capped by maxRetryAfterMs', async () => {
    handlers.push(reply(429, '', { 'retry-after': '7' }), reply(429, '', { 'retry-after': '3600' }), reply(200));
    const { http, clock } = client({
      retries: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 8_000, maxRetryAfterMs: 20_000 },
      overallTimeoutMs: 60_000,
    });
    await http.request({ method: 'GET', url: `${base}/limited` });
    expect(clock.sleeps).toEqual([7_000, 20_000]);
    await http.close();
  });

  it('gives up with the last error after maxAttempts', async () => {
    handlers.push(reply(502), reply(502), reply(502), reply(502), reply(502));
    const { http } = client({ retries: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 } });
    const error = await http.request({ method: 'GET', url: `${base}/down` }).catch((e) => e);
    expect(error.status).toBe(502);
    expect(seen).toHaveLength(3);
    await http.close();
  });

  it('does not sleep past the overall deadline', async () => {
    handlers.push(reply(503, '', { 'retry-after': '50' }), reply(200));
    const { http, clock } = client({ overallTimeoutMs: 10_000 });
    const error = await http.request({ method: 'GET', url: `${base}/slow` }).catch((e) => e);
    expect(error.status).toBe(503);
    expect(clock.sleeps).toEqual([]);
    expect(seen).toHaveLength(1);
    await http.close();
  });

  it('does not retry a POST unless the caller says it is idempotent', async () => {
    handlers.push(reply(503), reply(503), reply(200, 'ok'));
    const { http } = client();
    await expect(http.request({ method: 'POST', url: `${base}/orders`, body: 'x' })).rejects.toMatchObject({
      status: 503,
    });
    expect(seen).toHaveLength(1);
    const response = await http.request({ method: 'POST', url: `${base}/orders`, body: 'x', idempotent: true });
    expect(response.text()).toBe('ok');
    expect(seen).toHaveLength(3);
    await http.close();
  });

  it('retries the answers of a non-idempotent request with retryStatuses, and returns accepted statuses', async () => {
    handlers.push(reply(503), reply(400, '{"type":"badNonce"}'));
    const { http } = client();
    const response = await http.request({
      method: 'POST',
      url: `${base}/new-order`,
      body: 'jws',
      retryStatuses: true,
      acceptStatus: (status) => status < 500,
    });
    expect(response.status).toBe(400);
    expect(response.json()).toEqual({ type: 'badNonce' });
    expect(seen).toHaveLength(2);
    await http.close();
  });

  it('does not retry a 4xx that is not retryable', async () => {
    handlers.push(reply(400, 'bad csr'), reply(200));
    const { http } = client();
    await expect(http.request({ method: 'GET', url: `${base}/x` })).rejects.toMatchObject({ status: 400 });
    expect(seen).toHaveLength(1);
    await http.close();
  });

  it('retries a refused connection as a retryable network error', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const { http, clock } = client({ retries: { maxAttempts: 3, baseDelayMs: 100, maxDelayMs: 1_000 } });
    const error = await http.request({ method: 'GET', url: `http://127.0.0.1:${port}/` }).catch((e) => e);
    expect(VendorApiError.isInstance(error)).toBe(true);
    expect(error.status).toBeUndefined();
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('ECONNREFUSED');
    expect(clock.sleeps).toHaveLength(2);
    await http.close();
  });

  it('fails an attempt that passes its deadline with DeadlineExceededError', async () => {
    handlers.push(() => {
      /* never answers */
    });
    const { http } = client({ retries: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 } });
    const error = await http.request({ method: 'GET', url: `${base}/hang`, timeoutMs: 150 }).catch((e) => e);
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
    expect(error.message).toContain('timed out after 150 ms');
    await http.close();
  });

  it('stops at once and does not retry when the caller aborts', async () => {
    handlers.push(() => {
      /* never answers */
    });
    const { http } = client();
    const controller = new AbortController();
    const pending = http.request({ method: 'GET', url: `${base}/hang`, signal: controller.signal }).catch((e) => e);
    setTimeout(() => controller.abort(new Error('shutting down')), 50);
    const error = await pending;
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
    expect(error.message).toContain('was aborted');
    expect(seen).toHaveLength(1);
    await http.close();
  });

  it('refuses a loopback URL under the default policy without sending anything', async () => {
    const { http } = client({ ssrfPolicy: undefined });
    const error = await http.request({ method: 'GET', url: `${base}/` }).catch((e) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect(error.message).toContain('loopback address');
    expect(seen).toHaveLength(0);
    await http.close();
  });

  it('refuses a body larger than maxResponseBytes', async () => {
    handlers.push(reply(200, 'x'.repeat(5_000)));
    const { http } = client({ maxResponseBytes: 1_000 });
    await expect(http.request({ method: 'GET', url: `${base}/big` })).rejects.toThrow(/more than 1000 bytes/);
    await http.close();
  });

  it('reports a body that is not JSON as MalformedInputError', async () => {
    handlers.push(reply(200, '<html>'));
    const { http } = client();
    const response = await http.request({ method: 'GET', url: `${base}/html` });
    expect(() => response.json()).toThrow(MalformedInputError);
    await http.close();
  });
});
