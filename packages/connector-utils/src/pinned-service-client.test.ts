import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingHttpHeaders } from 'node:http';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ConnectorLogger, VendorApiError } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPinnedServiceClient, type PinnedServiceClientOptions } from './pinned-service-client.js';
import { systemClock } from './system-clock.js';

const silent: ConnectorLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silent,
};

let dir: string;
let server: Server;
let origin: string;
let caPem: string;
const seen: { url?: string; headers?: IncomingHttpHeaders } = {};

function pem(name: string): string {
  return readFileSync(join(dir, name), 'utf8');
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pinned-client-'));
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
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
  );
  caPem = pem('server.crt');
  server = createServer({ key: pem('server.key'), cert: caPem }, (req, res) => {
    seen.url = req.url;
    seen.headers = req.headers;
    if (req.url?.endsWith('/denied')) {
      res.writeHead(403, { 'content-type': 'application/json' }).end('{"errors":["permission denied"]}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

function options(overrides: Partial<PinnedServiceClientOptions> = {}): PinnedServiceClientOptions {
  return {
    connector: 'issuer-test',
    baseUrl: `${origin}/v1/`,
    caPem,
    timeoutMs: 5000,
    userAgent: 'certctl-issuer-test/1.0.0',
    defaultHeaders: { 'x-token': 'tok' },
    ctx: { clock: systemClock, logger: silent, signal: new AbortController().signal },
    vendorError: (error) => error,
    ...overrides,
  };
}

describe('createPinnedServiceClient', () => {
  it('trusts the pinned CA on a loopback address and sends the base path, user agent and default headers', async () => {
    const client = createPinnedServiceClient(options());
    const response = await client.request('POST', 'pki/sign/web', { csr: 'x' });
    expect(response.json()).toEqual({ ok: true });
    expect(seen.url).toBe('/v1/pki/sign/web');
    expect(seen.headers?.['user-agent']).toBe('certctl-issuer-test/1.0.0');
    expect(seen.headers?.['x-token']).toBe('tok');
    await client.close();
    await client.close();
  });

  it('refuses the server when the system trust store is used instead of the pin', async () => {
    const client = createPinnedServiceClient(options({ caPem: undefined }));
    await expect(client.request('GET', 'health')).rejects.toThrow();
    await client.close();
  });

  it('hands a failed call to vendorError with method and path', async () => {
    const calls: string[] = [];
    const client = createPinnedServiceClient(
      options({
        vendorError: (error, method, path) => {
          calls.push(`${method} ${path} ${VendorApiError.isInstance(error) ? error.status : '?'}`);
          return new Error('mapped');
        },
      }),
    );
    await expect(client.request('GET', 'denied')).rejects.toThrow('mapped');
    expect(calls).toEqual(['GET denied 403']);
    await client.close();
  });
});
