/**
 * A commercial CA's approval wait, end to end through to the host: a certctl server with
 * @certctl/issuer-digicert against the testkit's CertCentral fake, and a real agent that makes the
 * key, submits the CSR and deploys to a file target. The order waits for the DigiCert administrator
 * (the certificate shows the open order meanwhile); once approved "a while later" the server picks
 * it up by itself and the agent deploys it; openssl checks what landed on disk.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FakeDigicert, startFakeDigicert } from '@certctl/connector-testkit';
import digicert from '@certctl/issuer-digicert';
import { call } from '@certctl/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../src/start-agent.js';
import { agentConfigFor, type ControlPlane, jobsOf, startControlPlane, waitFor } from './support/control-plane.js';
import { createFileTargetManifest } from './support/file-target.js';

const target = createFileTargetManifest('file');
let plane: ControlPlane;
let fake: FakeDigicert;

beforeAll(async () => {
  fake = await startFakeDigicert();
  fake.approval = 'pending';
  // The fake listens on loopback: the operator allows it, as for a CA reached through a private endpoint.
  plane = await startControlPlane({ connectors: [digicert], env: { CERTCTL_NETWORK_ALLOW: '127.0.0.1' } });
});
afterAll(async () => {
  await plane?.stop();
  await fake?.close();
});

describe('end to end: commercial CA approval, then deployment by the agent', () => {
  it('waits on the DigiCert administrator, then issues and deploys without anyone acting on our side', async () => {
    const bundle = join(plane.tmp, 'digicert-api-ca.pem');
    writeFileSync(bundle, fake.caPem!);
    const issuer = await call(plane.server.api, 'POST', '/api/v1/issuers', {
      name: 'digicert-e2e',
      type: 'digicert',
      config: {
        api_key: fake.apiKey,
        org_id: fake.organizationId,
        base_url: fake.baseUrl,
        ca_bundle_path: bundle,
        issue_wait_seconds: 0,
        poll_max_wait_seconds: 86_400,
      },
    });
    expect(issuer.status, issuer.body).toBe(201);

    const { agent } = await startAgent(
      agentConfigFor(plane, join(plane.tmp, 'agent'), {
        CERTCTL_POLL_INTERVAL_SECONDS: '0.3',
        CERTCTL_HEARTBEAT_INTERVAL_SECONDS: '5',
      }),
      { manifests: [target.manifest] },
    );
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    try {
      const { agent_id } = await agent.ensureRegistered(AbortSignal.timeout(10_000));
      const certPath = join(plane.tmp, 'site', 'cert.pem');
      const keyPath = join(plane.tmp, 'site', 'key.pem');
      mkdirSync(join(plane.tmp, 'site'), { mode: 0o700 });
      const created = await call(plane.server.api, 'POST', '/api/v1/targets', {
        name: 'site-files',
        type: 'file',
        agent_id,
        config: { cert_path: certPath, key_path: keyPath },
      });
      expect(created.status, created.body).toBe(201);
      const commonName = 'shop.example.com';
      const cert = await call(plane.server.api, 'POST', '/api/v1/certificates', {
        name: 'shop',
        common_name: commonName,
        sans: [commonName],
        owner_id: plane.basics.ownerId,
        team_id: plane.basics.teamId,
        issuer_id: String(issuer.json.id),
        renewal_policy_id: plane.basics.policyId,
        agent_id,
        target_ids: [created.json.id],
      });
      expect(cert.status, cert.body).toBe(201);
      const id = String(cert.json.id);
      const certificate = async () => (await call(plane.server.api, 'GET', `/api/v1/certificates/${id}`)).json;

      // The agent's CSR goes to DigiCert, which holds the order for its administrator.
      const waiting = await waitFor(
        'the order waiting at DigiCert',
        async () => (await certificate()).ca_order as { order_id: string; job_id: string } | undefined,
        30_000,
      );
      expect(fake.orders.get(Number(waiting.order_id))).toBeDefined();
      expect(await certificate()).toMatchObject({ status: 'pending', ca_order: { job_status: 'waiting_on_ca' } });

      // The administrator approves; "a while later" the follow-up is due and the server completes it.
      await fake.approve(waiting.order_id);
      await plane.server.deps.db
        .updateTable('jobs')
        .set({ nextRunAt: new Date(Date.now() - 1000) })
        .where('id', '=', waiting.job_id)
        .execute();
      await plane.server.runner.runOnce();
      const deployed = await waitFor(
        'the deployment of the DigiCert certificate',
        async () => (await jobsOf(plane, id)).find((j) => j.type === 'deployment' && j.status === 'succeeded'),
        30_000,
      );
      expect(deployed.last_error).toBeNull();
      expect(await certificate()).toMatchObject({ status: 'active', ca_order: null });

      // On disk: DigiCert's certificate for the name, on the key the agent made, the key 0600.
      const versions = await call(plane.server.api, 'GET', `/api/v1/certificates/${id}/versions`);
      const version = versions.json.data![0]!;
      expect(version.ca_order_id).toBe(waiting.order_id);
      const issuingCa = join(plane.tmp, 'digicert-issuing-ca.pem');
      writeFileSync(issuingCa, fake.issuingCa.certificatePem);
      expect(execFileSync('openssl', ['verify', '-CAfile', issuingCa, certPath], { encoding: 'utf8' })).toContain(
        `${certPath}: OK`,
      );
      const serial = execFileSync('openssl', ['x509', '-noout', '-serial', '-in', certPath], { encoding: 'utf8' });
      expect(
        serial
          .trim()
          .replace(/^serial=/, '')
          .toLowerCase()
          .replace(/^0+/, ''),
      ).toBe(String(version.serial));
      const subject = execFileSync('openssl', ['x509', '-noout', '-ext', 'subjectAltName', '-in', certPath], {
        encoding: 'utf8',
      });
      expect(subject).toContain(`DNS:${commonName}`);
      const certKey = execFileSync('openssl', ['x509', '-noout', '-pubkey', '-in', certPath], { encoding: 'utf8' });
      const fileKey = execFileSync('openssl', ['pkey', '-pubout', '-in', keyPath], { encoding: 'utf8' });
      expect(fileKey).toBe(certKey);
      expect(statSync(keyPath).mode & 0o777).toBe(0o600);
    } finally {
      stop.abort();
      await running;
      await agent.close();
    }
  }, 120_000);
});
