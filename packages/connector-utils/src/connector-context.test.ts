import { existsSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectorContext } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectorContext } from './connector-context.js';
import { createFakeClock } from './fake-clock.js';
import { createHttpClient } from './http-client.js';

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
      network: { allowLoopback: true },
    });
    try {
      expect(statSync(ctx.tmpDir).mode & 0o777).toBe(0o700);
      const http = createHttpClient({ connector: 'target-nginx', context: ctx, timeoutMs: 5_000, userAgent: 'u' });
      expect((await http.request({ method: 'GET', url: `${base}/ping` })).text()).toBe('pong');
      await http.close();
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

  it('gives connectors the strict network policy by default', async () => {
    const ctx = createConnectorContext({ environment: { app: 'test' }, tmpDir: '/tmp' });
    expect(ctx.network).toEqual({});
    const http = createHttpClient({ connector: 'n', context: ctx, timeoutMs: 5_000, userAgent: 'u' });
    await expect(http.request({ method: 'GET', url: `${base}/ping` })).rejects.toThrow(/loopback address/);
    await http.close();
  });

  it('uses the pieces it is given as they are', () => {
    const clock = createFakeClock();
    const controller = new AbortController();
    const network = { allowPrivate: true, allow: ['vault.corp'] };
    const ctx = createConnectorContext({
      environment: { app: 'agent', instanceId: 't1' },
      clock,
      signal: controller.signal,
      network,
      tmpDir: '/nonexistent-ok',
    });
    expect(ctx.clock).toBe(clock);
    expect(ctx.signal).toBe(controller.signal);
    expect(ctx.network).toBe(network);
    expect(ctx.tmpDir).toBe('/nonexistent-ok');
    expect(existsSync('/nonexistent-ok')).toBe(false);
    expect(ctx.environment).toEqual({ app: 'agent', instanceId: 't1' });
  });
});
