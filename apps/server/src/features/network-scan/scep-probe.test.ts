import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { KEYS } from '../../testing/test-server.js';
import { type ScepFixture, startScepServer } from '../scep/test-support/scep-fixture.js';

describeEachDialect('remote SCEP probe', (ctx) => {
  let fx: ScepFixture;

  beforeAll(async () => {
    fx = await startScepServer(ctx);
  });
  afterAll(async () => {
    await fx?.stop();
  });

  const probe = (url: string, key: string = KEYS.alice) =>
    call(fx.server.api, 'POST', '/api/v1/network-scan/scep-probe', { url }, key);

  it('reads the capabilities and CA of our own SCEP server, once loopback is allowed, and keeps the history', async () => {
    const refused = await probe(fx.url);
    expect(refused.status).toBe(400);
    expect(refused.json.message).toMatch(/loopback address/);
    await call(fx.server.api, 'PUT', '/api/v1/network-scan/settings', { allow_loopback: true });

    const result = await probe(fx.url);
    expect(result.status, result.body).toBe(200);
    expect(result.json).toMatchObject({
      reachable: true,
      supports_post: true,
      supports_sha256: true,
      supports_aes: true,
      supports_scep_standard: true,
      error: null,
      probed_by: 'alice',
    });
    expect(result.json.advertised_caps).toContain('POSTPKIOperation');
    // The RA certificate and the CA: the CA is the one that issued the other.
    expect(result.json.chain_length).toBe(2);
    expect(result.json.ca_days_to_expiry).toBeGreaterThan(0);
    expect(String(result.json.ca_subject)).not.toBe('');

    const gone = await probe(`${fx.url.replace(/:\d+\//, ':1/')}`);
    expect(gone.json).toMatchObject({ reachable: false, chain_length: 0 });
    expect(String(gone.json.error)).not.toBe('');

    expect((await probe('http://169.254.169.254/scep')).status).toBe(400);
    expect((await probe(fx.url, KEYS.viewer)).status).toBe(403);
    const history = await call(fx.server.api, 'GET', '/api/v1/network-scan/scep-probes');
    expect(history.json.total).toBe(2);
    expect(history.json.data?.map((p) => p.reachable)).toEqual([false, true]);
    const metrics = (await call(fx.server.api, 'GET', '/metrics')).body;
    expect(metrics).toContain('certctl_scep_probes_total{result="reachable"} 1');
  });
});
