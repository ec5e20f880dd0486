import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AuthenticationError, ConnectorError, DeadlineExceededError, VendorApiError } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch } from './policy-fetch.js';
import { createSsrfPolicy } from './ssrf-policy.js';
import { sendVendorRequest } from './vendor-request.js';

let server: Server;
let base: string;
const seen: { headers: Record<string, unknown>; body: string }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ headers: req.headers, body: Buffer.concat(chunks).toString() });
      const status = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('status') ?? 200);
      if (req.url?.startsWith('/moved')) {
        res.writeHead(302, { location: '/ok' });
        res.end();
        return;
      }
      if (req.url?.startsWith('/slow')) {
        setTimeout(() => res.end('late'), 1500);
        return;
      }
      res.writeHead(status, status === 429 ? { 'retry-after': '42' } : {});
      res.end(status === 200 ? 'ok' : `error ${status}`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const loopbackFetch = createFetch({ timeoutMs: 5000, ssrfPolicy: createSsrfPolicy({ allowLoopback: true }) });
const call = (path: string, extra: Partial<Parameters<typeof sendVendorRequest>[1]> = {}) =>
  sendVendorRequest(loopbackFetch, {
    connector: 'notifier-test',
    label: 'POST test hook',
    method: 'POST',
    url: `${base}${path}`,
    timeoutMs: 2000,
    ...extra,
  });

describe('sendVendorRequest', () => {
  it('sends JSON and returns the status and text', async () => {
    const response = await call('/ok', { body: { a: 1 } });
    expect(response).toMatchObject({ status: 200, text: 'ok' });
    expect(seen.at(-1)).toMatchObject({ body: '{"a":1}', headers: { 'content-type': 'application/json' } });
  });

  it('maps 401/403 to AuthenticationError, 429 to a retryable error with Retry-After, other 4xx to permanent', async () => {
    expect(AuthenticationError.isInstance(await call('/?status=401').catch((e: unknown) => e))).toBe(true);
    const limited = await call('/?status=429').catch((e: unknown) => e);
    expect(VendorApiError.isInstance(limited) && limited.retryable && limited.retryAfterSeconds === 42).toBe(true);
    const bad = await call('/?status=404', { hint: () => 'it is gone' }).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(bad) && !bad.retryable && bad.status === 404).toBe(true);
    expect((bad as Error).message).toBe('[certctl] [notifier-test] POST test hook returned 404: error 404; it is gone');
    const broken = await call('/?status=502').catch((e: unknown) => e);
    expect(VendorApiError.isInstance(broken) && broken.retryable).toBe(true);
  });

  it('does not follow redirects', async () => {
    const error = await call('/moved').catch((e: unknown) => e);
    expect(VendorApiError.isInstance(error) && !error.retryable).toBe(true);
    expect((error as Error).message).toMatch(/redirect/);
  });

  it('names only the label, never the URL, in messages', async () => {
    const error = await call('/secret-token-path?status=400').catch((e: unknown) => e);
    expect((error as Error).message).not.toContain('secret-token-path');
  });

  it('turns its deadline into DeadlineExceededError and a refused connection into a retryable error', async () => {
    expect(DeadlineExceededError.isInstance(await call('/slow', { timeoutMs: 200 }).catch((e: unknown) => e))).toBe(
      true,
    );
    const refused = await sendVendorRequest(loopbackFetch, {
      connector: 'n',
      label: 'x',
      method: 'POST',
      url: 'http://127.0.0.1:1/',
      timeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(VendorApiError.isInstance(refused) && refused.retryable && refused.status === undefined).toBe(true);
  });

  it('passes the SSRF refusal of the app fetch through as is', async () => {
    const strict = createFetch({ timeoutMs: 2000 });
    const error = await sendVendorRequest(strict, {
      connector: 'n',
      label: 'x',
      method: 'POST',
      url: `${base}/ok`,
      timeoutMs: 2000,
    }).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error) && !VendorApiError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/refused to connect/);
  });
});
