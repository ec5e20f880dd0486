import { Counter, Registry } from 'prom-client';
import { expect, it } from 'vitest';
import { loadConfig } from '../config/index.js';
import { startMetricsListener } from './metrics-listener.js';

it('without a token the scrape listener answers anyone, GET and HEAD only, /metrics only', async () => {
  const registry = new Registry();
  new Counter({ name: 'certctl_probe_total', help: 'probe', registers: [registry] }).inc(3);
  const listener = await startMetricsListener({ host: '127.0.0.1', port: 0, registry });
  try {
    const scraped = await fetch(listener.url);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('certctl_probe_total 3');
    const head = await fetch(listener.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    expect((await fetch(listener.url, { method: 'POST', body: 'x' })).status).toBe(405);
    expect((await fetch(listener.url.replace('/metrics', '/'))).status).toBe(404);
    expect((await fetch(`${listener.url}?name[]=x`)).status).toBe(200);
  } finally {
    await listener.close();
  }
});

it('reads CERTCTL_METRICS_LISTEN as host:port, [v6]:port or a port on CERTCTL_SERVER_HOST, and refuses a token without it', () => {
  const base = { CERTCTL_DATA_DIR: '/tmp/certctl-metrics-config' };
  const listenerOf = (env: Record<string, string>) => loadConfig({ ...base, ...env }).metricsListener;
  expect(listenerOf({})).toBeUndefined();
  expect(listenerOf({ CERTCTL_METRICS_LISTEN: '0.0.0.0:9464' })).toEqual({ host: '0.0.0.0', port: 9464 });
  expect(listenerOf({ CERTCTL_METRICS_LISTEN: '[::1]:9464' })).toMatchObject({ host: '::1', port: 9464 });
  expect(listenerOf({ CERTCTL_METRICS_LISTEN: '9464', CERTCTL_SERVER_HOST: '10.0.0.5' })).toMatchObject({
    host: '10.0.0.5',
    port: 9464,
  });
  expect(listenerOf({ CERTCTL_METRICS_LISTEN: '9464', CERTCTL_METRICS_TOKEN: 'scrape-token-0123456789' })?.token).toBe(
    'scrape-token-0123456789',
  );
  expect(() => listenerOf({ CERTCTL_METRICS_LISTEN: 'localhost:99999' })).toThrow(/CERTCTL_METRICS_LISTEN/);
  expect(() => listenerOf({ CERTCTL_METRICS_LISTEN: 'http://x:1' })).toThrow(/CERTCTL_METRICS_LISTEN/);
  expect(() => listenerOf({ CERTCTL_METRICS_TOKEN: 'scrape-token-0123456789' })).toThrow(
    /CERTCTL_METRICS_TOKEN: protects the CERTCTL_METRICS_LISTEN listener/,
  );
  expect(() => listenerOf({ CERTCTL_METRICS_LISTEN: '9464', CERTCTL_METRICS_TOKEN: 'short' })).toThrow(
    /CERTCTL_METRICS_TOKEN/,
  );
});
