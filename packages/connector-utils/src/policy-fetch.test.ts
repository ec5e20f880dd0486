import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectorError, DeadlineExceededError } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFetch } from './policy-fetch.js';
import { createSsrfPolicy } from './ssrf-policy.js';

let server: Server;
let port: number;
let hits: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(req.url!);
    if (req.url === '/redirect') {
      res.writeHead(302, { location: `http://127.0.0.1:${port}/inner` });
      res.end();
    } else if (req.url === '/hang') {
      // never answers
    } else {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ path: req.url, ua: req.headers['user-agent'], method: req.method }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((resolve) => server.close(() => resolve()));
});

// The name only exists for the policy's resolver; it stands for an allow-listed vendor host.
const vendorOnly = () =>
  createSsrfPolicy({ allow: ['vendor.certctl-test'], resolve: async () => [{ address: '127.0.0.1', family: 4 }] });

describe('createFetch', () => {
  it('behaves like fetch for an allowed host and sets the user agent', async () => {
    const fetch = createFetch({ timeoutMs: 5_000, ssrfPolicy: vendorOnly(), userAgent: 'certctl/1' });
    const response = await fetch(`http://vendor.certctl-test:${port}/hello`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ path: '/hello', ua: 'certctl/1', method: 'GET' });
  });

  it('accepts a Request object from the global fetch implementation', async () => {
    const fetch = createFetch({ timeoutMs: 5_000, ssrfPolicy: vendorOnly() });
    const response = await fetch(new Request(`http://vendor.certctl-test:${port}/req`, { method: 'POST', body: 'x' }));
    expect(await response.json()).toMatchObject({ path: '/req', method: 'POST' });
  });

  it('refuses a redirect to a loopback address with the policy error', async () => {
    hits = [];
    const fetch = createFetch({ timeoutMs: 5_000, ssrfPolicy: vendorOnly(), connector: 'notifier-webhook' });
    const error = await fetch(`http://vendor.certctl-test:${port}/redirect`).catch((e) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect(error.message).toContain('refused to connect to 127.0.0.1: loopback address');
    expect(hits).toEqual(['/redirect']);
  });

  it('refuses a loopback URL before connecting', async () => {
    hits = [];
    const fetch = createFetch({ timeoutMs: 5_000 });
    await expect(fetch(`http://[::ffff:127.0.0.1]:${port}/`)).rejects.toThrow(/loopback address/);
    await expect(fetch(`http://2130706433:${port}/`)).rejects.toThrow(/loopback address/);
    expect(hits).toEqual([]);
  });

  it('rejects with DeadlineExceededError when the deadline passes', async () => {
    const fetch = createFetch({ timeoutMs: 150, ssrfPolicy: vendorOnly() });
    const error = await fetch(`http://vendor.certctl-test:${port}/hang`).catch((e) => e);
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
  });

  it('passes a caller abort through as an abort, not a deadline', async () => {
    const fetch = createFetch({ timeoutMs: 5_000, ssrfPolicy: vendorOnly() });
    const controller = new AbortController();
    const pending = fetch(`http://vendor.certctl-test:${port}/hang`, { signal: controller.signal }).catch((e) => e);
    setTimeout(() => controller.abort(), 30);
    const error = await pending;
    expect(DeadlineExceededError.isInstance(error)).toBe(false);
    expect((error as Error).name).toBe('AbortError');
  });
});
