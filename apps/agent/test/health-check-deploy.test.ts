/**
 * The health check's acceptance with real parts: certctl deploys a certificate through a real agent
 * to a real nginx, the post-deploy verification creates a health check, a certificate swapped by
 * hand turns it cert_mismatch (alert opened on the webhook), and a real certctl deployment job (a
 * renewal the agent deploys to nginx) brings it back to healthy with the new serial (alert closed).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import webhookNotifier from '@certctl/notifier-webhook';
import { createCertificateAuthority, exportPrivateKeyPem } from '@certctl/pki';
import { call, type FailingEndpoint, startFailingEndpoint } from '@certctl/server/testing';
import nginxTarget from '@certctl/target-nginx';
import { freePort, startNginxTls } from '@certctl/tooling/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../src/start-agent.js';
import { agentConfigFor, type ControlPlane, jobsOf, startControlPlane, waitFor } from './support/control-plane.js';

const ADDRESS = '127.0.0.13';
let plane: ControlPlane;
let receiver: FailingEndpoint;
let nginx: Awaited<ReturnType<typeof startNginxTls>>;

/** The serial nginx serves, as `openssl s_client` reads it (normalised to lowercase hex without leading zeros). */
function servedSerial(serverName: string): string {
  const opts = { encoding: 'utf8' as const, stdio: ['pipe', 'pipe', 'pipe'] as ('pipe' | 'ignore')[] };
  const chain = execFileSync(
    'openssl',
    ['s_client', '-connect', `${ADDRESS}:${nginx.port}`, '-servername', serverName],
    { ...opts, input: '' },
  );
  const serial = execFileSync('openssl', ['x509', '-noout', '-serial'], { ...opts, input: chain });
  return normal(serial.trim().replace(/^serial=/, ''));
}
const normal = (serial: string) => serial.toLowerCase().replace(/^(00)+/, '');

beforeAll(async () => {
  receiver = await startFailingEndpoint();
  receiver.status = 200;
  plane = await startControlPlane({
    connectors: [webhookNotifier],
    // The webhook receiver listens on loopback.
    env: { CERTCTL_NETWORK_ALLOW: '127.0.0.1' },
    policy: { alert_channels: { warning: ['Webhook'], critical: ['Webhook'] } },
  });
  const hook = await call(plane.server.api, 'POST', '/api/v1/notifiers', {
    name: 'incident hook',
    type: 'webhook',
    config: { url: `${receiver.url}/hook`, allow_loopback: true },
  });
  expect(hook.status, hook.body).toBe(201);
  const placeholder = await createCertificateAuthority({ subject: { CN: 'placeholder' } });
  nginx = await startNginxTls({
    address: ADDRESS,
    port: await freePort(),
    certPem: placeholder.certificate.pem,
    keyPem: exportPrivateKeyPem(placeholder.keys.privateKey),
  });
}, 180_000);
afterAll(async () => {
  await nginx?.stop();
  await plane?.stop();
  await receiver?.close();
});

describe('health check after a real deployment', () => {
  it('cert_mismatch when swapped by hand, healthy with the new serial after certctl deploys, alert opened and closed', async () => {
    const deliveries = () => receiver.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
    const dir = mkdtempSync(join(plane.tmp, 'health-'));
    const { agent } = await startAgent(
      agentConfigFor(plane, join(dir, 'agent'), {
        CERTCTL_POLL_INTERVAL_SECONDS: '0.3',
        CERTCTL_HEARTBEAT_INTERVAL_SECONDS: '5',
      }),
      { manifests: [nginxTarget] },
    );
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    try {
      const { agent_id } = await agent.ensureRegistered(AbortSignal.timeout(10_000));
      const commonName = `shop-${Date.now().toString(36)}.example.com`;
      const target = await call(plane.server.api, 'POST', '/api/v1/targets', {
        name: `nginx-${commonName}`,
        type: 'nginx',
        agent_id,
        config: {
          cert_path: nginx.certPath,
          key_path: nginx.keyPath,
          validate_command: nginx.validateCommand,
          reload_command: nginx.reloadCommand,
          post_deploy_verify: { endpoint: `${ADDRESS}:${nginx.port}`, server_name: commonName },
        },
      });
      expect(target.status, target.body).toBe(201);
      const created = await call(plane.server.api, 'POST', '/api/v1/certificates', {
        name: commonName.split('.')[0],
        common_name: commonName,
        sans: [commonName],
        owner_id: plane.basics.ownerId,
        team_id: plane.basics.teamId,
        issuer_id: plane.basics.issuerId,
        renewal_policy_id: plane.basics.policyId,
        agent_id,
        target_ids: [target.json.id],
      });
      expect(created.status, created.body).toBe(201);
      const certificateId = String(created.json.id);
      const latestSerial = async () =>
        normal(
          String(
            ((await call(plane.server.api, 'GET', `/api/v1/certificates/${certificateId}/versions`)).json.data ?? [])[0]
              ?.serial ?? '',
          ),
        );
      const deployedJobs = async () =>
        (await jobsOf(plane, certificateId)).filter(
          (j) => j.type === 'deployment' && j.status === 'succeeded' && j.verification?.verified,
        );
      await waitFor(
        'the first deployment, verified at the endpoint',
        async () => (await deployedJobs()).length >= 1,
        45_000,
      );
      const first = await latestSerial();
      expect(servedSerial(commonName)).toBe(first);

      // The verified deployment created the health check; it is healthy.
      await plane.server.scheduler.runLoop('healthChecks');
      const checks = await call(plane.server.api, 'GET', '/api/v1/health-checks?per_page=100');
      const made = (checks.json.data ?? []).find((c) => c.certificate_id === certificateId);
      expect(made).toMatchObject({ endpoint: `${ADDRESS}:${nginx.port}`, server_name: commonName });
      const id = String(made?.id);
      const check = () => call(plane.server.api, 'POST', `/api/v1/health-checks/${id}/check`);
      const healthy = await check();
      expect(healthy.json).toMatchObject({ status: 'healthy', incident_key: null });
      expect(normal(String(healthy.json.observed_serial))).toBe(first);

      // Swapped by hand: cert_mismatch, and the incident opens.
      const rogue = await createCertificateAuthority({ subject: { CN: commonName } });
      await nginx.replace({ certPem: rogue.certificate.pem, keyPem: exportPrivateKeyPem(rogue.keys.privateKey) });
      const mismatch = await waitFor('cert_mismatch', async () => {
        const r = await check();
        return r.json.status === 'cert_mismatch' ? r.json : undefined;
      });
      const incident = String(mismatch.incident_key);
      await plane.server.scheduler.runLoop('notifications');
      expect(deliveries()).toEqual([
        expect.objectContaining({ action: 'notify', event: 'endpoint_unhealthy', dedup_key: incident }),
      ]);

      // The deploy: a renewal, deployed by certctl through the agent to nginx.
      expect((await call(plane.server.api, 'POST', `/api/v1/certificates/${certificateId}/renew`)).status).toBe(202);
      await waitFor('the renewal deployed and verified', async () => (await deployedJobs()).length >= 2, 45_000);
      const second = await latestSerial();
      expect(second).not.toBe(first);
      expect(servedSerial(commonName)).toBe(second);
      const recovered = await check();
      expect(recovered.json).toMatchObject({ status: 'healthy', incident_key: null });
      expect(normal(String(recovered.json.observed_serial))).toBe(second);
      await plane.server.scheduler.runLoop('notifications');
      expect(deliveries()).toHaveLength(2);
      expect(deliveries()[1]).toMatchObject({ action: 'resolve', dedup_key: incident });
    } finally {
      stop.abort();
      await running;
      await agent.close();
    }
  }, 150_000);
});
