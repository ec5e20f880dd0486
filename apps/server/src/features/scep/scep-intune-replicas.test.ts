import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../testing/api-fixtures.js';
import { createScratchPostgres, type ScratchPostgres } from '../../testing/postgres-database.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';
import { createTestConnector, type TestConnector } from './test-support/intune-connector.js';
import { ISSUER_ID, makeRa, writePrivate } from './test-support/scep-fixture.js';
import { buildPkiMessage, makeDevice, readCertRep } from './test-support/scep-test-client.js';

/** Intune challenges are spent in PostgreSQL, so replicas behind one load balancer share single use and limits. */
describe('Intune challenges across two server replicas on one PostgreSQL', () => {
  const ca = createTestCa({ keyAlgorithm: 'rsa-2048' });
  const dir = mkdtempSync(join(tmpdir(), 'certctl-scep-intune-replicas-'));
  let scratch: ScratchPostgres;
  let connector: TestConnector;
  let raCertPem: string;
  let replicas: TestServer[] = [];

  beforeAll(async () => {
    scratch = await createScratchPostgres();
    connector = await createTestConnector('ES256');
    const ra = await makeRa(ca);
    raCertPem = ra.certPem;
    writePrivate(join(dir, 'ra.crt'), ra.certPem);
    writePrivate(join(dir, 'ra.key'), ra.keyPem);
    writeFileSync(join(dir, 'connector.pem'), connector.certificatePem);
    const env = {
      CERTCTL_SCEP_ENABLED: 'true',
      CERTCTL_SCEP_ISSUER_ID: ISSUER_ID,
      CERTCTL_SCEP_RA_CERT_PATH: join(dir, 'ra.crt'),
      CERTCTL_SCEP_RA_KEY_PATH: join(dir, 'ra.key'),
      CERTCTL_SCEP_INTUNE_ENABLED: 'true',
      CERTCTL_SCEP_INTUNE_CONNECTOR_CERT_PATH: join(dir, 'connector.pem'),
      CERTCTL_SCEP_INTUNE_PER_DEVICE_RATE_LIMIT_24H: '2',
    };
    for (const replicaId of ['replica-a', 'replica-b'])
      replicas.push(
        await startTestServer({ database: { url: scratch.url }, connectors: [ca.manifest], replicaId, env }),
      );
    const issuer = await call(replicas[0]!.api, 'POST', '/api/v1/issuers', {
      id: ISSUER_ID,
      name: 'scep-replicas',
      type: 'test-ca',
      config: { label: 'scep' },
    });
    expect(issuer.status).toBe(201);
  }, 120_000);
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    replicas = [];
    await scratch?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function enrolOn(replica: TestServer, commonName: string, challenge: string) {
    const device = await makeDevice(commonName);
    const request = await buildPkiMessage({ device, raCertPem, commonName, challenge });
    const res = await replica.pki.inject({
      method: 'POST',
      url: '/scep?operation=PKIOperation',
      headers: { 'content-type': 'application/x-pki-message' },
      payload: Buffer.from(request.message),
    });
    return (await readCertRep(res.rawPayload, raCertPem, device)).pkiStatus;
  }

  it('accepts one challenge once, whichever replicas it is sent to at the same moment', async () => {
    const challenge = await connector.challenge({ sub: 'device-race', device_name: 'race.corp.example' });
    const statuses = await Promise.all([0, 1, 0, 1].map((i) => enrolOn(replicas[i]!, 'race.corp.example', challenge)));
    expect(statuses.filter((s) => s === '0')).toHaveLength(1);
    expect(statuses.filter((s) => s === '2')).toHaveLength(3);
  }, 60_000);

  it('counts one device against its 24-hour limit on every replica', async () => {
    const claims = { sub: 'device-limit', device_name: 'limit.corp.example' };
    const challenges = await Promise.all([0, 1, 2, 3].map(() => connector.challenge(claims)));
    const statuses = await Promise.all(
      challenges.map((challenge, i) => enrolOn(replicas[i % 2]!, 'limit.corp.example', challenge)),
    );
    expect(statuses.filter((s) => s === '0')).toHaveLength(2);
    expect(statuses.filter((s) => s === '2')).toHaveLength(2);
  }, 60_000);
});
