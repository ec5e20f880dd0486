import { request } from 'node:https';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { certificateBody, createBasics, makeCsr } from './testing/api-fixtures.js';
import { createTestCa } from './testing/test-issuer.js';
import { KEYS, startTestServer } from './testing/test-server.js';

function httpsJson(
  url: string,
  ca: string,
  options: { method?: string; key?: string; body?: unknown } = {},
): Promise<{ status: number; json: Record<string, unknown>; protocol: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method ?? 'GET',
        ca,
        headers: {
          ...(options.key && { authorization: `Bearer ${options.key}` }),
          ...(options.body !== undefined && { 'content-type': 'application/json' }),
        },
      },
      (res) => {
        const protocol = (res.socket as import('node:tls').TLSSocket).getProtocol?.() ?? '';
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
            protocol,
          }),
        );
      },
    );
    req.on('error', reject);
    if (options.body !== undefined) req.end(JSON.stringify(options.body));
    else req.end();
  });
}

describe('the server on its embedded database, over real HTTPS', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'certctl-boot-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('serves the API over TLS 1.2+ with a bootstrap certificate, and a restart loses nothing', async () => {
    const ca = createTestCa();
    const first = await startTestServer({
      database: {},
      dataDir,
      connectors: [ca.manifest],
      listen: true,
      scheduler: true,
    });
    let certificateId: string;
    try {
      expect(first.tls.source).toBe('bootstrap-ca');
      expect(statSync(join(dataDir, 'tls/server.key')).mode & 0o777).toBe(0o600);
      expect(statSync(join(dataDir, 'config-encryption.key'), { throwIfNoEntry: false })).toBeUndefined();
      const health = await httpsJson(`${first.urls.api}/health`, first.tls.caPem!);
      expect(health.json).toEqual({ status: 'healthy' });
      expect(['TLSv1.2', 'TLSv1.3']).toContain(health.protocol);
      // A second server on the same data directory is refused.
      await expect(startTestServer({ database: {}, dataDir, connectors: [ca.manifest] })).rejects.toThrow(
        /in use by another certctl-server|already open in this process/,
      );

      const app = first.api;
      const basics = await createBasics(app);
      const body = certificateBody(basics);
      const created = await httpsJson(`${first.urls.api}/api/v1/certificates`, first.tls.caPem!, {
        method: 'POST',
        key: KEYS.alice,
        body: { ...body, csr_pem: await makeCsr(String(body.common_name)) },
      });
      expect(created.status).toBe(201);
      certificateId = String(created.json.id);
      // The scheduler's job runner picks the job up without being asked.
      for (let i = 0; i < 50; i++) {
        const cert = await httpsJson(`${first.urls.api}/api/v1/certificates/${certificateId}`, first.tls.caPem!, {
          key: KEYS.viewer,
        });
        if (cert.json.status === 'active') break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await first.stop();
    }
    const second = await startTestServer({ database: {}, dataDir, connectors: [ca.manifest], listen: true });
    try {
      expect(second.tls.source).toBe('bootstrap-reused');
      const cert = await httpsJson(`${second.urls.api}/api/v1/certificates/${certificateId}`, second.tls.caPem!, {
        key: KEYS.viewer,
      });
      expect(cert.json.status).toBe('active');
      const issuer = await httpsJson(`${second.urls.api}/api/v1/issuers`, second.tls.caPem!, { key: KEYS.viewer });
      expect((issuer.json.data as { config: Record<string, unknown> }[])[0]!.config.api_token).toBe('[redacted]');
      const test = await httpsJson(
        `${second.urls.api}/api/v1/issuers/${(issuer.json.data as { id: string }[])[0]!.id}/test`,
        second.tls.caPem!,
        { method: 'POST', key: KEYS.alice },
      );
      expect(test.json.ok).toBe(true);
    } finally {
      await second.stop();
    }
  });
});
