import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call, certificateBody, createBasics, makeCsr } from '../testing/api-fixtures.js';
import { describeEachDialect } from '../testing/each-dialect.js';
import { createTestCa } from '../testing/test-issuer.js';
import { KEYS, startTestServer, type TestServer } from '../testing/test-server.js';

const docs = (file: string) => readFileSync(new URL(`../../../../docs/monitoring/${file}`, import.meta.url), 'utf8');
const SCRAPE_TOKEN = 'scrape-token-0123456789abcdef';
const METRIC = /\b((?:certctl|process|nodejs)_[a-z0-9_]+)\b/g;

/** Every metric name the shipped alert rules and dashboard query. */
function namesInDocs(): string[] {
  const dashboard = JSON.parse(docs('grafana-dashboard.json')) as { panels: { targets: { expr: string }[] }[] };
  const exprs = [
    ...dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr)),
    ...[...docs('alerts.yml').matchAll(/^\s+expr: (.+)$/gm)].map((match) => match[1]!),
  ];
  return [...new Set(exprs.flatMap((expr) => [...expr.matchAll(METRIC)].map((match) => match[1]!)))];
}

describeEachDialect('docs/monitoring: the dashboard and alert rules query metrics the server exports', (ctx) => {
  const ca = createTestCa();
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      connectors: [ca.manifest],
      listen: true,
      env: { CERTCTL_METRICS_LISTEN: '127.0.0.1:0', CERTCTL_METRICS_TOKEN: SCRAPE_TOKEN },
    });
  });
  afterAll(() => server?.stop());

  it('every metric named in alerts.yml and grafana-dashboard.json is in a real /metrics scrape', async () => {
    const basics = await createBasics(server.api);
    const body = certificateBody(basics);
    const created = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name), body.sans as string[]),
    });
    expect(created.status, created.body).toBe(201);
    await server.runner.runOnce();
    expect((await call(server.api, 'GET', `/api/v1/certificates/${created.json.id}`)).status).toBe(200);

    const scrape = (await call(server.api, 'GET', '/metrics')).body;
    const types = new Map([...scrape.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
    const exported = (name: string) =>
      types.has(name) || types.get(name.replace(/_(bucket|sum|count)$/, '')) === 'histogram';
    const named = namesInDocs();
    expect(named.length).toBeGreaterThan(10);
    expect(named.filter((name) => !exported(name))).toEqual([]);

    // The series behind the expiry alerts and the latency panel carry what they promise.
    const expiry = scrape.match(
      new RegExp(`^certctl_certificate_expiry_seconds\\{certificate_id="${created.json.id}"[^}]*\\} (\\d+)$`, 'm'),
    );
    expect(Number(expiry?.[1])).toBeGreaterThan(86_400);
    expect(scrape).toMatch(/^certctl_certificates_expiring\{within="30d"\} 0$/m);
    expect(scrape).toContain(
      'certctl_http_request_duration_seconds_bucket{le="0.005",method="GET",route="/api/v1/certificates/:id"',
    );
    expect(scrape).not.toContain(`route="/api/v1/certificates/${created.json.id}"`);
    expect(scrape).toMatch(/^process_resident_memory_bytes \d+/m);
  });

  it('serves the same scrape on the CERTCTL_METRICS_LISTEN port to the bearer token, and nothing else there', async () => {
    const url = server.urls.metrics!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const scraped = await fetch(url, { headers: { authorization: `Bearer ${SCRAPE_TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(scraped.headers.get('content-type')).toContain('text/plain');
    expect(await scraped.text()).toMatch(/^certctl_uptime_seconds \d/m);
    for (const authorization of [undefined, 'Bearer wrong-token', `Basic ${SCRAPE_TOKEN}`]) {
      const refused = await fetch(url, { headers: authorization ? { authorization } : {} });
      expect(refused.status, authorization).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('Bearer');
    }
    // An API key is not the scrape token, and the API is not served on this port.
    expect((await fetch(url, { headers: { authorization: `Bearer ${KEYS.admin}` } })).status).toBe(401);
    const api = await fetch(url.replace('/metrics', '/api/v1/certificates'), {
      headers: { authorization: `Bearer ${SCRAPE_TOKEN}` },
    });
    expect(api.status).toBe(404);
    // On the API, /metrics still takes an API key; the scrape token is not one.
    expect((await call(server.api, 'GET', '/metrics', undefined, SCRAPE_TOKEN)).status).toBe(401);
  });
});
