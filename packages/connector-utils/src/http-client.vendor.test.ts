import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthenticationError, ConnectorError, DeadlineExceededError, VendorApiError } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeClock } from './fake-clock.js';
import { createHttpClient, type HttpClientOptions } from './http-client.js';
import { createSsrfPolicy } from './ssrf-policy.js';

let server: Server;
let base: string;
const seen: { url?: string; headers: IncomingHttpHeaders; body: string }[] = [];

let dir: string;
let tlsServer: HttpsServer;
let tlsOrigin: string;
let caPem: string;

beforeAll(async () => {
  server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() });
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      if (req.url?.startsWith('/moved')) {
        res.writeHead(302, { location: '/ok' }).end();
        return;
      }
      if (req.url?.startsWith('/slow')) {
        setTimeout(() => res.end('late'), 1500);
        return;
      }
      res.writeHead(status, status === 429 ? { 'retry-after': '42' } : {});
      res.end(status === 200 ? 'ok' : `{"errors":["error ${status}"]}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  dir = mkdtempSync(join(tmpdir(), 'http-client-ca-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '2',
      '-keyout',
      'server.key',
      '-out',
      'server.crt',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { cwd: dir, stdio: 'pipe' },
  );
  caPem = readFileSync(join(dir, 'server.crt'), 'utf8');
  tlsServer = createHttpsServer({ key: readFileSync(join(dir, 'server.key')), cert: caPem }, (req, res) => {
    seen.push({ url: req.url, headers: req.headers, body: '' });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => tlsServer.listen(0, '127.0.0.1', resolve));
  tlsOrigin = `https://127.0.0.1:${(tlsServer.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  tlsServer.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await new Promise<void>((resolve) => tlsServer.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

function context(
  network: HttpClientOptions['context'] extends infer C ? (C extends { network: infer N } ? N : never) : never = {
    allowLoopback: true,
  },
  signal = new AbortController().signal,
) {
  return { network, clock: createFakeClock(), logger: silent, signal };
}

const errorOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

describe('createHttpClient vendor errors', () => {
  const http = createHttpClient({
    connector: 'notifier-test',
    context: context(),
    timeoutMs: 2000,
    userAgent: 'certctl-test/1',
    errors: { hint: (status) => (status === 404 ? 'it is gone' : undefined) },
  });

  it('maps 401/403 to AuthenticationError, 429 to a retryable error with Retry-After, other 4xx to permanent', async () => {
    expect(
      AuthenticationError.isInstance(await errorOf(http.request({ method: 'POST', url: `${base}/?status=401` }))),
    ).toBe(true);
    const limited = await errorOf(http.request({ method: 'POST', url: `${base}/?status=429` }));
    expect(VendorApiError.isInstance(limited) && limited.retryable && limited.retryAfterSeconds === 42).toBe(true);
    const gone = await errorOf(http.request({ method: 'POST', url: `${base}/?status=404`, label: 'POST test hook' }));
    expect(VendorApiError.isInstance(gone) && !gone.retryable && gone.status === 404).toBe(true);
    expect((gone as Error).message).toBe(
      '[certctl] [notifier-test] POST test hook returned 404: {"errors":["error 404"]}; it is gone',
    );
    const broken = await errorOf(http.request({ method: 'POST', url: `${base}/?status=502` }));
    expect(VendorApiError.isInstance(broken) && broken.retryable).toBe(true);
  });

  it("uses the vendor's own words and its own credential statuses when told", async () => {
    const vault = createHttpClient({
      connector: 'issuer-test',
      context: context(),
      timeoutMs: 2000,
      userAgent: 'certctl-test/1',
      errors: {
        authStatuses: [403],
        vendorMessage: (body) => (JSON.parse(body) as { errors: string[] }).errors.join('; '),
        hint: (status) => (status === 403 ? 'the token lacks a policy for this path' : undefined),
      },
    });
    const denied = await errorOf(
      vault.request({ method: 'GET', url: `${base}/v1/pki?status=403`, label: 'GET /v1/pki' }),
    );
    expect(AuthenticationError.isInstance(denied)).toBe(true);
    expect((denied as Error).message).toBe(
      '[certctl] [issuer-test] GET /v1/pki returned 403: error 403; the token lacks a policy for this path',
    );
    const unauthorised = await errorOf(vault.request({ method: 'GET', url: `${base}/?status=401` }));
    expect(AuthenticationError.isInstance(unauthorised)).toBe(false);
    expect(VendorApiError.isInstance(unauthorised) && unauthorised.status === 401).toBe(true);
    await vault.close();
  });

  it('does not follow redirects', async () => {
    const error = await errorOf(http.request({ method: 'GET', url: `${base}/moved` }));
    expect(VendorApiError.isInstance(error) && !error.retryable && error.status === 302).toBe(true);
    expect((error as Error).message).toMatch(/redirect/);
    expect(seen.filter((s) => s.url === '/ok')).toHaveLength(0);
  });

  it('names only the label, never the URL, in messages', async () => {
    const error = await errorOf(
      http.request({ method: 'POST', url: `${base}/secret-token-path?status=400`, label: 'POST to the webhook' }),
    );
    expect((error as Error).message).not.toContain('secret-token-path');
    const refused = await errorOf(
      http.request({ method: 'POST', url: 'http://127.0.0.1:1/secret-token-path', label: 'POST to the webhook' }),
    );
    expect(VendorApiError.isInstance(refused) && refused.retryable && refused.status === undefined).toBe(true);
    expect((refused as Error).message).not.toContain('secret-token-path');
  });

  it('turns its deadline into DeadlineExceededError', async () => {
    const error = await errorOf(http.request({ method: 'GET', url: `${base}/slow`, timeoutMs: 200 }));
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
  });
});

describe('createHttpClient with a connector context', () => {
  it("applies the app's network policy: the strict default refuses loopback before sending", async () => {
    const strict = createHttpClient({ connector: 'n', context: context({}), timeoutMs: 2000, userAgent: 'u' });
    const before = seen.length;
    const error = await errorOf(strict.request({ method: 'GET', url: `${base}/ok` }));
    expect(ConnectorError.isInstance(error) && !VendorApiError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/loopback/);
    expect(seen.length).toBe(before);
    await strict.close();
  });

  it("trusts the app's extra CAs besides the system store", async () => {
    const withCa = createHttpClient({
      connector: 'n',
      context: context({ allowLoopback: true, ca: [caPem] }),
      timeoutMs: 2000,
      userAgent: 'u',
    });
    expect((await withCa.request({ method: 'GET', url: `${tlsOrigin}/x` })).json()).toEqual({ ok: true });
    const without = createHttpClient({
      connector: 'n',
      context: context({ allowLoopback: true }),
      timeoutMs: 2000,
      userAgent: 'u',
    });
    expect(VendorApiError.isInstance(await errorOf(without.request({ method: 'GET', url: `${tlsOrigin}/x` })))).toBe(
      true,
    );
    await withCa.close();
    await without.close();
  });

  it("aborts on the context's signal and leaves no listener on it afterwards", async () => {
    const stop = new AbortController();
    const http = createHttpClient({
      connector: 'n',
      context: context({ allowLoopback: true }, stop.signal),
      timeoutMs: 5000,
      userAgent: 'u',
    });
    for (let i = 0; i < 5; i++) await http.request({ method: 'GET', url: `${base}/ok` });
    expect(getEventListeners(stop.signal, 'abort')).toHaveLength(0);
    const pending = errorOf(http.request({ method: 'GET', url: `${base}/slow` }));
    setTimeout(() => stop.abort(new Error('shutting down')), 50);
    expect(DeadlineExceededError.isInstance(await pending)).toBe(true);
    await http.close();
  });
});

describe('createHttpClient with a pinned CA', () => {
  it('trusts only the pinned CA and prefixes the base URL, user agent and default headers', async () => {
    const pinned = createHttpClient({
      connector: 'issuer-test',
      baseUrl: `${tlsOrigin}/v1/`,
      ca: caPem,
      ssrfPolicy: createSsrfPolicy({ allowLoopback: true }),
      timeoutMs: 5000,
      userAgent: 'certctl-issuer-test/1.0.0',
      defaultHeaders: { 'x-token': 'tok' },
    });
    expect((await pinned.request({ method: 'POST', url: 'pki/sign/web', body: { csr: 'x' } })).json()).toEqual({
      ok: true,
    });
    expect(seen.at(-1)?.url).toBe('/v1/pki/sign/web');
    expect(seen.at(-1)?.headers['user-agent']).toBe('certctl-issuer-test/1.0.0');
    expect(seen.at(-1)?.headers['x-token']).toBe('tok');
    await pinned.close();
    await pinned.close();
  });

  it('refuses the server when the system trust store is used instead of the pin', async () => {
    const unpinned = createHttpClient({
      connector: 'issuer-test',
      baseUrl: `${tlsOrigin}/v1/`,
      ssrfPolicy: createSsrfPolicy({ allowLoopback: true }),
      timeoutMs: 5000,
      userAgent: 'u',
    });
    await expect(unpinned.request({ method: 'GET', url: 'health' })).rejects.toThrow(
      /certificate|self.signed|SELF_SIGNED|DEPTH_ZERO/i,
    );
    await unpinned.close();
  });
});
