/**
 * IIS end to end through a proxy agent: a certctl server (embedded database, built-in local CA), a
 * certctl agent running the real @certctl/target-iis in WinRM mode (HTTPS, NTLMv2), and the testkit's
 * WinRM listener in front of its fake Windows host (certificate store and IIS bindings, driven by the
 * generated PowerShell). Issued and bound, renewed (the binding moves to the new thumbprint), then a
 * renewal whose binding fails after it was applied: the previous thumbprint is bound again.
 */
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  createFakeWindowsHost,
  type FakeWindowsHost,
  type FakeWinRm,
  startFakeWinRm,
} from '@certctl/connector-testkit';
import { call } from '@certctl/server/testing';
import iisTarget from '@certctl/target-iis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../src/start-agent.js';
import { agentConfigFor, type ControlPlane, jobsOf, startControlPlane, waitFor } from './support/control-plane.js';

const SITE = 'Default Web Site';
let plane: ControlPlane;
let host: FakeWindowsHost;
let winrm: FakeWinRm;

beforeAll(async () => {
  host = createFakeWindowsHost();
  host.addSite(SITE);
  winrm = await startFakeWinRm({ host, username: 'CORP\\certctl', password: 'Ntlm-over-TLS-1', auth: 'ntlm' });
  plane = await startControlPlane();
});
afterAll(async () => {
  await plane?.stop();
  await winrm?.close();
});

describe('end to end: server + proxy agent + IIS over WinRM', () => {
  it('binds the issued certificate, moves the binding on renewal, and rebinds the previous one when a binding fails', async () => {
    const caPath = join(plane.tmp, 'winrm-ca.pem');
    writeFileSync(caPath, winrm.caPem);
    const { agent } = await startAgent(
      agentConfigFor(plane, join(plane.tmp, 'iis-agent'), {
        CERTCTL_POLL_INTERVAL_SECONDS: '0.3',
        CERTCTL_HEARTBEAT_INTERVAL_SECONDS: '5',
      }),
      { manifests: [iisTarget] },
    );
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    try {
      const { agent_id } = await agent.ensureRegistered(AbortSignal.timeout(10_000));
      const target = await call(plane.server.api, 'POST', '/api/v1/targets', {
        name: 'iis-web01',
        type: 'iis',
        agent_id,
        config: {
          site_name: SITE,
          cert_store: 'WebHosting',
          sni: true,
          binding_info: 'www.example.test',
          mode: 'winrm',
          winrm: {
            winrm_host: '127.0.0.1',
            winrm_port: Number(new URL(winrm.endpoint).port),
            winrm_username: 'CORP\\certctl',
            winrm_password: 'Ntlm-over-TLS-1',
            winrm_auth: 'ntlm',
            winrm_ca_path: caPath,
          },
        },
      });
      expect(target.status, target.body).toBe(201);
      const created = await call(plane.server.api, 'POST', '/api/v1/certificates', {
        name: 'www',
        common_name: 'www.example.test',
        sans: ['www.example.test'],
        owner_id: plane.basics.ownerId,
        team_id: plane.basics.teamId,
        issuer_id: plane.basics.issuerId,
        renewal_policy_id: plane.basics.policyId,
        agent_id,
        target_ids: [target.json.id],
      });
      expect(created.status, created.body).toBe(201);
      const id = String(created.json.id);
      /** The SHA-1 thumbprint Windows shows for the current version. */
      const currentThumbprint = async () => {
        const versions = await call(plane.server.api, 'GET', `/api/v1/certificates/${id}/versions`);
        const pem = (versions.json.data ?? [])[0]?.certificate_pem;
        return pem ? new X509Certificate(String(pem)).fingerprint.replace(/:/g, '').toUpperCase() : undefined;
      };
      const bound = () => host.site(SITE)?.find((b) => b.hostHeader === 'www.example.test')?.thumbprint ?? undefined;
      const succeeded = async () =>
        (await jobsOf(plane, id)).filter((j) => j.type === 'deployment' && j.status === 'succeeded').length;

      const first = await waitFor(
        'IIS bound to the issued certificate',
        async () => {
          const thumbprint = await currentThumbprint();
          return thumbprint && bound() === thumbprint ? thumbprint : undefined;
        },
        45_000,
      );
      await waitFor('deployment reported', async () => (await succeeded()) >= 1);
      expect(host.store('LocalMachine', 'WebHosting').find((c) => c.thumbprint === first)?.hasPrivateKey).toBe(true);

      expect((await call(plane.server.api, 'POST', `/api/v1/certificates/${id}/renew`)).status).toBe(202);
      const second = await waitFor(
        'IIS bound to the renewed certificate',
        async () => {
          const thumbprint = await currentThumbprint();
          return thumbprint && thumbprint !== first && bound() === thumbprint ? thumbprint : undefined;
        },
        45_000,
      );
      await waitFor('both deployments reported', async () => (await succeeded()) >= 2);

      // The binding is applied, then the call fails: the target rebinds the previous thumbprint.
      host.failNext('Iis.SetBinding', 'The RPC server is unavailable.', { applied: true });
      const failedBefore = (await jobsOf(plane, id)).filter((j) => j.type === 'deployment' && j.last_error).length;
      expect((await call(plane.server.api, 'POST', `/api/v1/certificates/${id}/renew`)).status).toBe(202);
      const failed = await waitFor(
        'the failed deployment',
        async () => {
          const withError = (await jobsOf(plane, id)).filter((j) => j.type === 'deployment' && j.last_error);
          return withError.length > failedBefore ? withError : undefined;
        },
        45_000,
      );
      expect(failed.map((j) => j.last_error).join('\n')).toContain('The RPC server is unavailable.');
      expect(await currentThumbprint()).not.toBe(second);
      expect(bound()).toBe(second);
    } finally {
      stop.abort();
      await running;
      await agent.close();
    }
  }, 150_000);
});
