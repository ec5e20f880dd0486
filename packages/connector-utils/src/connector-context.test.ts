import { existsSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectorContext } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorContext } from './connector-context.js';
import { createFakeClock } from './fake-clock.js';
import { createSsrfPolicy } from './ssrf-policy.js';

let server: Server;
let base: string;
beforeAll(async () => {
  server = createServer((_req, res) => res.end('pong'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('createConnectorContext', () => {
  it('builds a complete context with working defaults', async () => {
    const ctx: ConnectorContext = createConnectorContext({
      connector: 'target-nginx',
      environment: { app: 'test' },
      fetch: { timeoutMs: 5_000, ssrfPolicy: createSsrfPolicy({ allowLoopback: true }) },
    });
    try {
      expect(statSync(ctx.tmpDir).mode & 0o777).toBe(0o700);
      expect(await (await ctx.fetch(`${base}/ping`)).text()).toBe('pong');
      expect((await ctx.exec('echo', ['hi'])).stdout).toBe('hi\n');
      await ctx.secrets.set('account_key', 'k');
      expect(await ctx.secrets.get('account_key')).toBe('k');
      await ctx.secrets.delete('account_key');
      expect(await ctx.secrets.get('account_key')).toBeUndefined();
      ctx.metrics.increment('x_total');
      expect(ctx.signal.aborted).toBe(false);
      expect(ctx.clock.now()).toBeInstanceOf(Date);
    } finally {
      rmSync(ctx.tmpDir, { recursive: true, force: true });
    }
  });

  it('applies the strict SSRF policy to ctx.fetch by default', async () => {
    const ctx = createConnectorContext({ environment: { app: 'test' }, tmpDir: '/tmp' });
    await expect(ctx.fetch(`${base}/ping`)).rejects.toThrow(/loopback address/);
  });

  it('uses the pieces it is given as they are', () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const fetch = (async () => new Response('x')) as typeof globalThis.fetch;
    const ctx = createConnectorContext({
      environment: { app: 'agent', instanceId: 't1' },
      clock,
      signal: controller.signal,
      fetch,
      tmpDir: '/nonexistent-ok',
    });
    expect(ctx.clock).toBe(clock);
    expect(ctx.signal).toBe(controller.signal);
    expect(ctx.fetch).toBe(fetch);
    expect(ctx.tmpDir).toBe('/nonexistent-ok');
    expect(existsSync('/nonexistent-ok')).toBe(false);
    expect(ctx.environment).toEqual({ app: 'agent', instanceId: 't1' });
  });
});
