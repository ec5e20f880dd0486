import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rootCertificates } from 'node:tls';
import { ConfigValidationError, type ConnectorNetwork, silentLogger } from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVendorApiClient } from './vendor-api-client.js';

describe('createVendorApiClient', () => {
  const context = (network: ConnectorNetwork) => ({
    network,
    logger: silentLogger,
    clock: { now: () => new Date(), sleep: async () => undefined },
    signal: new AbortController().signal,
  });
  const base = { connector: 'issuer-test', timeoutMs: 1000, userAgent: 'test/0' };
  let server: ReturnType<typeof createServer>;
  let apiUrl: string;
  let dir: string;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('{"ok":true}'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
    dir = await mkdtemp(join(tmpdir(), 'vendor-api-client-'));
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  it('names the CA bundle key when the file cannot be read, on first use and not before', async () => {
    const api = createVendorApiClient({
      ...base,
      context: context({}),
      caBundlePath: '/nonexistent/ca.pem',
      caBundleKey: 'server_ca_path',
    });
    const error = await api.open().catch((e: unknown) => e);
    expect(ConfigValidationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('server_ca_path');
    expect((error as Error).message).toContain('ENOENT');
  });

  it('opens one client and reuses it', async () => {
    const api = createVendorApiClient({ ...base, context: context({}) });
    const first = await api.open();
    expect(await api.open()).toBe(first);
    await api.close();
  });

  it('connects where the app network allows and nowhere else, whatever the config names (a CA bundle widens nothing)', async () => {
    const caBundlePath = join(dir, 'ca.pem');
    await writeFile(caBundlePath, rootCertificates[0]!);
    const strict = createVendorApiClient({ ...base, context: context({}), caBundlePath });
    const refused = await (await strict.open()).request({ method: 'GET', url: apiUrl }).catch((e: unknown) => e);
    expect((refused as Error).message).toMatch(/refused to connect to 127\.0\.0\.1: loopback address/);
    await strict.close();

    const allowed = createVendorApiClient({ ...base, context: context({ allowLoopback: true }), caBundlePath });
    const response = await (await allowed.open()).request({ method: 'GET', url: apiUrl });
    expect(response.status).toBe(200);
    await allowed.close();
  });
});
