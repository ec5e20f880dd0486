import { describeEachDialect, KEYS, startTestServer, type TestServer } from '@certctl/server/testing';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { CertctlApiError, collectAll, createCertctlClient } from '../src/index.js';

describeEachDialect('@certctl/client against a real server', (ctx) => {
  let server: TestServer;
  let serverUrl: string;
  let caPem: string;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, listen: true });
    serverUrl = server.urls.api!;
    caPem = server.tls.caPem!;
  });
  afterAll(() => server?.stop());

  it('calls typed routes over TLS trusting the given CA bundle, with the API key', async () => {
    const client = createCertctlClient({ serverUrl, apiKey: KEYS.admin, caPem });
    try {
      const { data: created } = await client.api.POST('/api/v1/teams', { body: { name: 'platform' } });
      expect(created?.name).toBe('platform');
      const { data: fetched } = await client.api.GET('/api/v1/teams/{id}', { params: { path: { id: created!.id } } });
      expect(fetched).toMatchObject({ id: created!.id, name: 'platform' });
      const { data: version } = await client.api.GET('/api/v1/version');
      expect(version).toBeDefined();
    } finally {
      await client.close();
    }
  });

  it('iterates every page of a list route', async () => {
    const client = createCertctlClient({ serverUrl, apiKey: KEYS.admin, caPem });
    try {
      for (let i = 0; i < 5; i++)
        await client.api.POST('/api/v1/owners', { body: { name: `owner-${i}`, email: `o${i}@example.com` } });
      const pages: number[] = [];
      const owners: string[] = [];
      for await (const owner of client.paginate('/api/v1/owners', {}, { perPage: 2 })) owners.push(owner.name);
      // The server seeds an owner of its own: the five created here are among what the pages held.
      expect(owners.filter((name) => name.startsWith('owner-')).sort()).toEqual([
        'owner-0',
        'owner-1',
        'owner-2',
        'owner-3',
        'owner-4',
      ]);
      const { data: first } = await client.api.GET('/api/v1/owners', { params: { query: { per_page: 2 } } });
      expect(owners).toHaveLength(first!.total);
      expect(first!.total).toBeGreaterThan(4);
      const limited = await collectAll(
        async (page, perPage) => {
          pages.push(page);
          const { data } = await client.api.GET('/api/v1/owners', { params: { query: { page, per_page: perPage } } });
          return data!;
        },
        { perPage: 2, limit: 3 },
      );
      expect(limited).toHaveLength(3);
      expect(pages).toEqual([1, 2]);
    } finally {
      await client.close();
    }
  });

  it('throws CertctlApiError with the status and {error, message, request_id} on 4xx', async () => {
    const client = createCertctlClient({ serverUrl, apiKey: KEYS.viewer, caPem });
    try {
      const missing = await client.api
        .GET('/api/v1/teams/{id}', { params: { path: { id: 'no-such-team' } } })
        .catch((e: unknown) => e);
      expect(CertctlApiError.isInstance(missing)).toBe(true);
      expect(missing).toMatchObject({ status: 404, error: 'not_found', retryable: false });
      expect((missing as CertctlApiError).requestId).toMatch(/\S/);
      const forbidden = await client.api.POST('/api/v1/teams', { body: { name: 'nope' } }).catch((e: unknown) => e);
      expect(forbidden).toMatchObject({ status: 403, error: 'forbidden' });
      const noKey = createCertctlClient({ serverUrl, caPem });
      const unauthorized = await noKey.api.GET('/api/v1/teams').catch((e: unknown) => e);
      expect(unauthorized).toMatchObject({ status: 401, error: 'unauthorized' });
      await noKey.close();
    } finally {
      await client.close();
    }
  });

  it('refuses a server whose certificate the CA bundle does not vouch for (network error, no status)', async () => {
    const client = createCertctlClient({ serverUrl, apiKey: KEYS.admin, maxAttempts: 1 });
    try {
      const failed = await client.api.GET('/api/v1/teams').catch((e: unknown) => e);
      expect(CertctlApiError.isInstance(failed)).toBe(true);
      expect(failed).toMatchObject({ status: undefined, error: 'network_error' });
    } finally {
      await client.close();
    }
  });
});
