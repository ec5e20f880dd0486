import { ConfigValidationError } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { createVendorApiClient } from './vendor-api-client.js';

describe('createVendorApiClient', () => {
  const base = { connector: 'issuer-test', timeoutMs: 1000, userAgent: 'test/0', apiUrl: 'https://ca.example.com/api' };

  it('names the CA bundle key when the file cannot be read, on first use and not before', async () => {
    const api = createVendorApiClient({ ...base, caBundlePath: '/nonexistent/ca.pem', caBundleKey: 'server_ca_path' });
    const error = await api.open().catch((e: unknown) => e);
    expect(ConfigValidationError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('server_ca_path');
    expect((error as Error).message).toContain('ENOENT');
  });

  it('opens one client and reuses it', async () => {
    const api = createVendorApiClient(base);
    const first = await api.open();
    expect(await api.open()).toBe(first);
    await api.close();
  });
});
