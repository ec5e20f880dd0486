import { certificateFingerprint, createCertificateAuthority, exportPrivateKeyPem } from '@certctl/pki';
import {
  freePort,
  type RunningTlsServer,
  startHaproxyTls,
  startNginxTls,
  startPostfixTls,
} from '@certctl/tooling/services';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { KEYS, startTestServer, type TestServer } from '../../testing/test-server.js';

// Three real TLS servers on loopback addresses of one /29: nginx and HAProxy on the same port,
// Postfix on the submission port (STARTTLS). Shared by both dialects' runs.
const servers: RunningTlsServer[] = [];
const served: { kind: string; endpoint: string; fingerprint: string }[] = [];
let tlsPort = 0;

beforeAll(async () => {
  tlsPort = await freePort();
  const plan = [
    { start: startNginxTls, cn: 'nginx.scan.example.test', address: '127.0.0.2', port: tlsPort },
    { start: startHaproxyTls, cn: 'haproxy.scan.example.test', address: '127.0.0.3', port: tlsPort },
    { start: startPostfixTls, cn: 'mail.scan.example.test', address: '127.0.0.4', port: 587 },
  ];
  for (const { start, cn, address, port } of plan) {
    const ca = await createCertificateAuthority({ subject: { CN: cn } });
    const server = await start({
      address,
      port,
      certPem: ca.certificate.pem,
      keyPem: exportPrivateKeyPem(ca.keys.privateKey),
    });
    servers.push(server);
    served.push({
      kind: server.kind,
      endpoint: `${address}:${port}`,
      fingerprint: certificateFingerprint(ca.certificate.pem).hex,
    });
  }
}, 180_000);
afterAll(async () => {
  for (const server of servers) await server.stop();
});

describeEachDialect('network TLS scanning', (ctx) => {
  let server: TestServer;
  let targetId = '';

  beforeAll(async () => {
    server = await startTestServer({ database: ctx });
  });
  afterAll(async () => {
    await server?.stop();
  });

  const scanNow = async (id: string) => {
    const started = await call(server.api, 'POST', `/api/v1/network-scan-targets/${id}/scan`, undefined, KEYS.alice);
    expect(started.status).toBe(202);
    expect(started.json.status).toBe('running');
    for (;;) {
      const scan = await call(server.api, 'GET', `/api/v1/network-scan-targets/${id}/scans/${started.json.id}`);
      if (scan.json.status !== 'running') return scan.json;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const networkFindings = async () =>
    (await call(server.api, 'GET', '/api/v1/discovered-certificates?source=network&per_page=500')).json.data ?? [];

  it('refuses loopback until an admin allows it, and a scan that finds nothing says what it tried', async () => {
    const created = await call(
      server.api,
      'POST',
      '/api/v1/network-scan-targets',
      { name: 'loopback lab', cidrs: ['127.0.0.0/29'], ports: [tlsPort, 587], timeout_ms: 3000 },
      KEYS.alice,
    );
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      cidrs: ['127.0.0.0/29'],
      ports: [tlsPort, 587],
      enabled: true,
      last_scan_at: null,
    });
    targetId = String(created.json.id);
    const scan = await scanNow(targetId);
    expect(scan).toMatchObject({ status: 'succeeded', endpoints_probed: 0, certificates_found: 0 });
    expect(scan.skipped).toEqual([
      {
        reason: 'loopback address',
        count: 8,
        examples: ['127.0.0.0', '127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4'],
      },
    ]);
    expect(scan.summary).toMatch(
      /^found no certificate; probed no endpoint; 8 skipped \(loopback address: 127\.0\.0\.0/,
    );
    expect(await networkFindings()).toEqual([]);
  });

  it('discovers exactly the certificates nginx, HAProxy and Postfix (STARTTLS) serve on a loopback /29', async () => {
    const operator = await call(
      server.api,
      'PUT',
      '/api/v1/network-scan/settings',
      { allow_loopback: true },
      KEYS.alice,
    );
    expect(operator.status).toBe(403);
    const settings = await call(server.api, 'PUT', '/api/v1/network-scan/settings', { allow_loopback: true });
    expect(settings.json).toMatchObject({ allow_loopback: true, max_addresses_per_cidr: 4096, concurrency: 50 });

    const scan = await scanNow(targetId);
    expect(scan).toMatchObject({
      status: 'succeeded',
      endpoints_probed: 16,
      certificates_found: 3,
      new_certificates: 3,
      outcomes: { found: 3, refused: 13, timeout: 0, failed: 0 },
      skipped: [],
    });
    const findings = await networkFindings();
    expect(
      findings
        .map((f) => ({ endpoint: f.source_path, fingerprint: f.fingerprint_sha256, agent: f.agent_id }))
        .sort((a, b) => String(a.endpoint).localeCompare(String(b.endpoint))),
    ).toEqual(served.map((s) => ({ endpoint: s.endpoint, fingerprint: s.fingerprint, agent: null })));
    expect(findings.find((f) => f.source_path === '127.0.0.4:587')).toMatchObject({
      common_name: 'mail.scan.example.test',
      status: 'unmanaged',
      source: 'network',
    });
    const target = await call(server.api, 'GET', `/api/v1/network-scan-targets/${targetId}`);
    expect(target.json).toMatchObject({ last_scan_certs_found: 3 });
    expect(target.json.last_scan_at).not.toBeNull();
  });

  it('deduplicates by fingerprint and endpoint across scans, and a dismissed finding stays dismissed', async () => {
    const nginx = (await networkFindings()).find((f) => f.source_path === served[0]?.endpoint);
    const dismissed = await call(server.api, 'POST', `/api/v1/discovered-certificates/${nginx?.id}/dismiss`, {
      reason: 'lab box',
    });
    expect(dismissed.json.status).toBe('dismissed');
    const again = await scanNow(targetId);
    expect(again).toMatchObject({ certificates_found: 3, new_certificates: 0 });
    const findings = await networkFindings();
    expect(findings).toHaveLength(3);
    expect(findings.find((f) => f.id === nginx?.id)).toMatchObject({ status: 'dismissed', dismiss_reason: 'lab box' });
    const history = await call(server.api, 'GET', `/api/v1/network-scan-targets/${targetId}/scans`);
    expect(history.json.total).toBe(3);
    expect(history.json.data?.map((s) => s.new_certificates)).toEqual([0, 3, 0]);
  });

  it('the scheduler scans due targets only, and the metrics count scans and endpoints', async () => {
    const due = await call(server.api, 'POST', '/api/v1/network-scan-targets', {
      name: 'postfix only',
      hosts: ['127.0.0.4'],
      ports: [587],
    });
    await server.scheduler.runLoop('networkScan');
    const scans = await call(server.api, 'GET', `/api/v1/network-scan-targets/${due.json.id}/scans`);
    expect(scans.json.data).toMatchObject([{ trigger: 'schedule', status: 'succeeded', certificates_found: 1 }]);
    // The loopback lab was scanned moments ago: not due for six hours.
    expect((await call(server.api, 'GET', `/api/v1/network-scan-targets/${targetId}/scans`)).json.total).toBe(3);
    const metrics = (await call(server.api, 'GET', '/metrics')).body;
    expect(metrics).toContain('certctl_network_scans_total{trigger="manual",status="succeeded"} 3');
    expect(metrics).toContain('certctl_network_scans_total{trigger="schedule",status="succeeded"} 1');
    expect(metrics).toContain('certctl_network_scan_endpoints_total{outcome="found"} 7');
    expect(metrics).toContain('certctl_network_scan_targets{enabled="true"} 2');
  });

  it('guards the range: a CIDR wider than /20 is refused until an admin raises the limit; bad input changes nothing', async () => {
    const wide = await call(server.api, 'POST', '/api/v1/network-scan-targets', {
      name: 'too wide',
      cidrs: ['10.0.0.0/19'],
    });
    expect(wide.status).toBe(400);
    expect(wide.json.message).toContain('10.0.0.0/19 holds 8192 addresses, more than the limit of 4096');
    for (const body of [
      { name: 'nothing', cidrs: [] },
      { name: 'junk', cidrs: ['10.0.0.0/33'] },
      { name: 'port', cidrs: ['10.0.0.0/24'], ports: [0] },
      { name: 'extra', cidrs: ['10.0.0.0/24'], agent: 'x' },
    ]) {
      expect((await call(server.api, 'POST', '/api/v1/network-scan-targets', body)).status).toBe(400);
    }
    expect((await call(server.api, 'GET', '/api/v1/network-scan-targets')).json.total).toBe(2);
    await call(server.api, 'PUT', '/api/v1/network-scan/settings', { max_addresses_per_cidr: 8192 });
    const allowed = await call(server.api, 'POST', '/api/v1/network-scan-targets', {
      name: 'wider',
      cidrs: ['10.0.0.0/19'],
      enabled: false,
    });
    expect(allowed.status).toBe(201);
    expect((await call(server.api, 'DELETE', `/api/v1/network-scan-targets/${allowed.json.id}`)).status).toBe(204);
    expect((await call(server.api, 'POST', `/api/v1/network-scan-targets/${allowed.json.id}/scan`)).status).toBe(404);
    expect((await call(server.api, 'PUT', '/api/v1/network-scan/settings', { concurrency: 0 })).status).toBe(400);
  });
});
