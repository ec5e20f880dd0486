/**
 * The Key Vault loop with real parts: a certctl server (embedded database, built-in local CA), a
 * certctl proxy agent running the real @certctl/target-azurekv on Azure's own SDK, and the Key Vault
 * + Azure AD fake from @certctl/connector-testkit (HTTPS, challenge flow, client-credential tokens).
 * A certificate bound to a Key Vault target becomes a version of one named certificate; a forced
 * renewal adds a version under the same name; a renewal whose read-back fails is rolled back so the
 * newest version holds the previous certificate again.
 */
import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type FakeKeyVault, startFakeKeyVault } from '@certctl/connector-testkit';
import { call } from '@certctl/server/testing';
import azureKvTarget from '@certctl/target-azurekv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../src/start-agent.js';
import { agentConfigFor, type ControlPlane, jobsOf, startControlPlane, waitFor } from './support/control-plane.js';

let plane: ControlPlane;
let vault: FakeKeyVault;

beforeAll(async () => {
  vault = await startFakeKeyVault();
  plane = await startControlPlane({ installed: true });
});
afterAll(async () => {
  await plane?.stop();
  await vault?.close();
});

describe('end to end: server + proxy agent + Azure Key Vault', () => {
  it('imports a version, renews under the same name, and rolls back a renewal whose read-back fails', async () => {
    const name = `api-${Date.now().toString(36)}`;
    const commonName = `${name}.example.com`;
    const caPath = join(plane.tmp, `${name}-azure-ca.pem`);
    writeFileSync(caPath, vault.caPem);
    const { agent } = await startAgent(
      agentConfigFor(plane, join(plane.tmp, `${name}-agent`), {
        CERTCTL_POLL_INTERVAL_SECONDS: '0.3',
        CERTCTL_HEARTBEAT_INTERVAL_SECONDS: '5',
      }),
      { manifests: [azureKvTarget] },
    );
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    try {
      const { agent_id } = await agent.ensureRegistered(AbortSignal.timeout(10_000));
      const target = await call(plane.server.api, 'POST', '/api/v1/targets', {
        name: `kv-${name}`,
        type: 'azurekv',
        agent_id,
        config: {
          vault_url: vault.vaultUrl,
          certificate_name: name,
          credential_mode: 'client_secret',
          tenant_id: vault.tenantId,
          client_id: vault.clientId,
          client_secret: vault.clientSecret,
          authority_host: vault.authorityHost,
          ca_bundle_path: caPath,
          challenge_resource_verification: false,
        },
      });
      expect(target.status).toBe(201);
      const created = await call(plane.server.api, 'POST', '/api/v1/certificates', {
        name,
        common_name: commonName,
        sans: [commonName],
        owner_id: plane.basics.ownerId,
        team_id: plane.basics.teamId,
        issuer_id: 'iss-local',
        renewal_policy_id: plane.basics.policyId,
        agent_id,
        target_ids: [target.json.id],
      });
      expect(created.status).toBe(201);
      const id = String(created.json.id);
      const latestVersion = async () =>
        ((await call(plane.server.api, 'GET', `/api/v1/certificates/${id}/versions`)).json.data ?? [])[0] as
          | { serial: string; certificate_pem?: string; pem?: string }
          | undefined;
      const vaultSerial = () => {
        const latest = vault.latest(name);
        if (!latest) return undefined;
        return new X509Certificate(Buffer.from(latest.cer, 'base64')).serialNumber.toLowerCase().replace(/^0+/, '');
      };
      const same = (a: string | undefined, b: string | undefined) =>
        Boolean(a && b && a.toLowerCase().replace(/^0+/, '') === b.toLowerCase().replace(/^0+/, ''));

      const first = await waitFor(
        'Key Vault holding the issued certificate',
        async () => {
          const serial = (await latestVersion())?.serial;
          return serial && same(vaultSerial(), serial) ? serial : undefined;
        },
        45_000,
      );
      expect(vault.latest(name)!.tags).toMatchObject({ 'certctl-managed-by': 'certctl', 'certctl-certificate-id': id });

      expect((await call(plane.server.api, 'POST', `/api/v1/certificates/${id}/renew`)).status).toBe(202);
      const second = await waitFor(
        'Key Vault holding the renewed certificate as a new version',
        async () => {
          const serial = (await latestVersion())?.serial;
          return serial && serial !== first && same(vaultSerial(), serial) ? serial : undefined;
        },
        45_000,
      );
      // The deploy reads the version back after the import: wait until it has reported.
      await waitFor('both deployments reported', async () => {
        const done = (await jobsOf(plane, id)).filter((j) => j.type === 'deployment' && j.status === 'succeeded');
        return done.length >= 2 ? done : undefined;
      });
      expect(vault.versions(name)).toHaveLength(2);
      // Each deployment's Key Vault certificate id (with its version) is kept in the deployment history.
      const history = await call(plane.server.api, 'GET', `/api/v1/certificates/${id}/deployments`);
      const reported = (history.json.data ?? [])
        .filter((d) => d.status === 'succeeded')
        .map((d) => String((d.deploy_metadata as Record<string, string> | null)?.key_vault_certificate_id));
      expect(reported).toHaveLength(2);
      for (const v of vault.versions(name))
        expect(reported.filter((r) => r.endsWith(`/certificates/${name}/${v.version}`))).toHaveLength(1);
      const secondCer = vault.latest(name)!.cer;

      // Every attempt's read-back (the second GET of a deploy) is refused: each attempt restores.
      for (let i = 0; i < 6; i++) {
        vault.failNext('getCertificate', { status: 403, code: 'Forbidden', message: 'injected: firewall', skip: 1 });
      }
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
      expect(failed.map((j) => j.last_error).join('\n')).toMatch(/was imported again as version/);
      expect(vault.latest(name)!.cer).toBe(secondCer);
      expect(same(vaultSerial(), second)).toBe(true);
      expect(vault.versions(name).some((v) => !v.enabled)).toBe(true);
    } finally {
      stop.abort();
      await running;
      await agent.close();
    }
  }, 150_000);
});
