/**
 * The Windows certificate store end to end through a proxy agent: a certctl server, a certctl agent
 * running the real @certctl/target-wincertstore in WinRM mode (HTTPS, NTLMv2), and the testkit's
 * WinRM listener in front of its fake Windows host. The issued certificate is imported with its key,
 * a renewal imports the new one and archives the old, and a renewal whose archiving step is denied
 * leaves the store as it was (the new import removed, the previous certificate in service).
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
import winCertStoreTarget from '@certctl/target-wincertstore';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../src/start-agent.js';
import { agentConfigFor, type ControlPlane, jobsOf, startControlPlane, waitFor } from './support/control-plane.js';

let plane: ControlPlane;
let host: FakeWindowsHost;
let winrm: FakeWinRm;

beforeAll(async () => {
  host = createFakeWindowsHost();
  winrm = await startFakeWinRm({ host, username: 'IIS01\\certctl', password: 'Winrm-Passw0rd', auth: 'ntlm' });
  plane = await startControlPlane();
});
afterAll(async () => {
  await plane?.stop();
  await winrm?.close();
});

describe('end to end: server + proxy agent + Windows certificate store over WinRM', () => {
  it('imports the issued certificate, archives it on renewal, and undoes a renewal whose archiving is denied', async () => {
    const caPath = join(plane.tmp, 'winrm-ca.pem');
    writeFileSync(caPath, winrm.caPem);
    const { agent } = await startAgent(
      agentConfigFor(plane, join(plane.tmp, 'store-agent'), {
        CERTCTL_POLL_INTERVAL_SECONDS: '0.3',
        CERTCTL_HEARTBEAT_INTERVAL_SECONDS: '5',
      }),
      { manifests: [winCertStoreTarget] },
    );
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    try {
      const { agent_id } = await agent.ensureRegistered(AbortSignal.timeout(10_000));
      const target = await call(plane.server.api, 'POST', '/api/v1/targets', {
        name: 'store-iis01',
        type: 'wincertstore',
        agent_id,
        config: {
          friendly_name: 'certctl www',
          mode: 'winrm',
          winrm_host: '127.0.0.1',
          winrm_port: Number(new URL(winrm.endpoint).port),
          winrm_username: 'IIS01\\certctl',
          winrm_password: 'Winrm-Passw0rd',
          winrm_ca_path: caPath,
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
      const currentThumbprint = async () => {
        const versions = await call(plane.server.api, 'GET', `/api/v1/certificates/${id}/versions`);
        const pem = (versions.json.data ?? [])[0]?.certificate_pem;
        return pem ? new X509Certificate(String(pem)).fingerprint.replace(/:/g, '').toUpperCase() : undefined;
      };
      const held = (thumbprint: string | undefined) =>
        host.store('LocalMachine', 'My').find((c) => c.thumbprint === thumbprint);
      const succeeded = async () =>
        (await jobsOf(plane, id)).filter((j) => j.type === 'deployment' && j.status === 'succeeded').length;

      const first = await waitFor(
        'the store holding the issued certificate',
        async () => {
          const thumbprint = await currentThumbprint();
          return thumbprint && held(thumbprint) && !held(thumbprint)!.archived ? thumbprint : undefined;
        },
        45_000,
      );
      await waitFor('deployment reported', async () => (await succeeded()) >= 1);
      expect(held(first)).toMatchObject({ hasPrivateKey: true, friendlyName: 'certctl www' });

      expect((await call(plane.server.api, 'POST', `/api/v1/certificates/${id}/renew`)).status).toBe(202);
      const second = await waitFor(
        'the store holding the renewed certificate',
        async () => {
          const thumbprint = await currentThumbprint();
          return thumbprint && thumbprint !== first && held(thumbprint) && !held(thumbprint)!.archived
            ? thumbprint
            : undefined;
        },
        45_000,
      );
      await waitFor('both deployments reported', async () => (await succeeded()) >= 2);
      expect(held(first)?.archived).toBe(true);

      host.failNext('CertStore.SetArchived', 'Access is denied.');
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
      expect(failed.map((j) => j.last_error).join('\n')).toContain('Access is denied.');
      const third = await currentThumbprint();
      expect(third).not.toBe(second);
      expect(held(third)).toBeUndefined();
      expect(held(second)?.archived).toBe(false);
    } finally {
      stop.abort();
      await running;
      await agent.close();
    }
  }, 150_000);
});
