import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { defineRoute } from '../http/route-spec.js';
import { call } from '../testing/api-fixtures.js';
import { describeEachDialect } from '../testing/each-dialect.js';
import { KEYS, startTestServer, type TestServer } from '../testing/test-server.js';
import { SERVER_FEATURES } from './index.js';
import { defineServerFeature } from './server-feature.js';

describeEachDialect('a feature plugs in with one entry in the feature list', (ctx) => {
  const seen = { loopRuns: 0, closed: 0 };
  const greetings = defineServerFeature({
    name: 'greetings',
    setup: ({ deps }) => ({
      api: [
        {
          name: 'greetings',
          routes: [
            defineRoute({
              method: 'GET',
              path: '/api/v1/greetings',
              operationId: 'listGreetings',
              summary: 'Greetings',
              tags: ['greetings'],
              access: 'viewer',
              responses: { 200: { description: 'Greeting', schema: z.object({ text: z.string() }) } },
              handler: () => ({ text: `hello from ${deps.replicaId}` }),
            }),
          ],
        },
      ],
      loops: [{ name: 'greet', everyMs: 3_600_000, leaderLockKey: 7_399_001, run: async () => seen.loopRuns++ }],
      gauges: [{ name: 'certctl_greetings', help: 'Greetings', labelNames: [], collect: async () => [{ value: 3 }] }],
      close: () => {
        seen.closed++;
      },
    }),
  });
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ database: ctx, features: [...SERVER_FEATURES, greetings], replicaId: 'r1' });
  });
  afterAll(async () => {
    if (seen.closed === 0) await server?.stop();
  });

  it('serves and documents its routes, runs its loops, exports its gauges and is closed with the server', async () => {
    expect((await call(server.api, 'GET', '/api/v1/greetings', undefined, KEYS.viewer)).json).toEqual({
      text: 'hello from r1',
    });
    expect((await call(server.api, 'GET', '/api/v1/greetings', undefined, 'wrong-key-0123456789')).status).toBe(401);
    const doc = JSON.parse((await server.api.inject({ method: 'GET', url: '/api/v1/openapi.json' })).body);
    expect(doc.paths['/api/v1/greetings'].get.operationId).toBe('listGreetings');
    await server.scheduler.runLoop('greet');
    expect(seen.loopRuns).toBe(1);
    expect((await call(server.api, 'GET', '/metrics')).body).toContain('certctl_greetings 3');
    await server.stop();
    expect(seen.closed).toBe(1);
  });

  it('refuses two loops with one leader lock key', async () => {
    const twin = defineServerFeature({
      name: 'twin',
      setup: () => ({ loops: [{ name: 'twin', leaderLockKey: 7_302_001, run: async () => undefined }] }),
    });
    await expect(
      startTestServer({ database: ctx, features: [...SERVER_FEATURES, twin], replicaId: 'r2' }),
    ).rejects.toThrow(/share leader lock key 7302001/);
  });
});
