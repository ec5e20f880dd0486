import {
  createTestContext,
  createTestDeployRequest,
  type RecordedRequest,
  startFakeVendor,
} from '@certctl/connector-testkit';
import { prepareTlsMaterial } from '@certctl/connector-utils';
import { ConnectorError } from '@certctl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createCaddyAdminClient } from './caddy-admin-client.js';
import { deployThroughAdminApi, loadPemEntries, withOurCertificate } from './caddy-api-deploy.js';

const material = async (commonName: string) => prepareTlsMaterial(await createTestDeployRequest({ commonName }));

describe('withOurCertificate', () => {
  it('keeps every other part of the config and leaves exactly one entry with our tag', async () => {
    const ours = await material('ours.example.test');
    const entry = fc.record({
      certificate: fc.string(),
      key: fc.string(),
      tags: fc.option(fc.array(fc.constantFrom('certctl', 'other', 'x')), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(entry), fc.jsonValue(), (entries, extra) => {
        const config = {
          apps: { tls: { certificates: { load_pem: entries }, other: extra }, http: { servers: {} } },
          admin: { listen: 'x' },
        };
        const frozen = structuredClone(config);
        const next = withOurCertificate(config, 'certctl', ours);
        expect(config).toEqual(frozen);
        const result = loadPemEntries(next);
        expect(result.filter((e) => e.tags?.includes('certctl'))).toEqual([
          { certificate: ours.fullchainPem, key: ours.keyPem, tags: ['certctl'] },
        ]);
        expect(result.filter((e) => !e.tags?.includes('certctl'))).toEqual(
          entries.filter((e) => !e.tags?.includes('certctl')),
        );
        expect((next as typeof config).admin).toEqual(config.admin);
        expect((next as typeof config).apps.tls.other).toEqual(extra);
      }),
      { seed: 11, numRuns: 150 },
    );
  });

  it('builds the path in an empty or null config', async () => {
    const ours = await material('empty.example.test');
    for (const config of [null, {}, { apps: { tls: 'nonsense' } }]) {
      expect(loadPemEntries(withOurCertificate(config, 't', ours))).toHaveLength(1);
    }
  });
});

describe('deployThroughAdminApi', () => {
  it('loads the previous config again (forced) when the read-back does not show our certificate', async () => {
    const running = { apps: { http: { servers: {} } } };
    const loads: RecordedRequest[] = [];
    const fake = await startFakeVendor({
      tls: false,
      routes: {
        // A Caddy that accepts /load but whose config afterwards lacks our entry.
        'GET /config/': () => ({ body: running }),
        'POST /load': (request) => {
          loads.push({
            method: request.method,
            path: request.path,
            query: '',
            headers: request.headers,
            body: request.body.toString(),
          });
          return { status: 200, body: '' };
        },
      },
    });
    const ctx = await createTestContext();
    try {
      const client = createCaddyAdminClient(fake.url, ctx, 5000);
      const error = await deployThroughAdminApi({
        client,
        tag: 'certctl',
        material: await material('lost.example.test'),
        serial: '01',
        logger: ctx.logger,
      }).catch((e: unknown) => e);
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /does not report the certificate tagged certctl.*previous config was loaded again/,
      );
      expect(loads).toHaveLength(2);
      expect(loadPemEntries(JSON.parse(loads[0]!.body))).toHaveLength(1);
      expect(JSON.parse(loads[1]!.body)).toEqual(running);
      expect(loads[1]!.headers['cache-control']).toBe('must-revalidate');
      expect(JSON.stringify(ctx.logs)).not.toContain('PRIVATE KEY');
    } finally {
      await fake.close();
      await ctx.cleanup();
    }
  });
});
