/**
 * The cloud loop with real parts: a certctl server (embedded database, built-in local CA), a certctl
 * proxy agent running the real @certctl/target-awsacm on the real AWS SDK, and the ACM fake from
 * @certctl/connector-testkit (ACM's JSON 1.1 protocol, SigV4 checked). A certificate bound to an ACM
 * target is imported; a forced renewal lands in the same ARN; with tagging denied, a renewal fails
 * and ACM is left holding the previous certificate.
 */
import { type FakeAcm, startFakeAcm } from '@certctl/connector-testkit';
import { call } from '@certctl/server/testing';
import awsAcmTarget from '@certctl/target-awsacm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { startAgent } from '../src/start-agent.js';
import { agentConfigFor, type ControlPlane, jobsOf, startControlPlane, waitFor } from './support/control-plane.js';

const sameSerial = (acmSerial: string, apiSerial: string) =>
  acmSerial.replace(/:/g, '').toLowerCase().replace(/^0+/, '') === apiSerial.toLowerCase().replace(/^0+/, '');

let plane: ControlPlane;
let acm: FakeAcm;

beforeAll(async () => {
  acm = await startFakeAcm();
  // The SDK's default credential chain, fed the way an operator would on the agent host.
  vi.stubEnv('AWS_ACCESS_KEY_ID', acm.accessKeyId);
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', acm.secretAccessKey);
  vi.stubEnv('AWS_EC2_METADATA_DISABLED', 'true');
  vi.stubEnv('AWS_CONFIG_FILE', '/nonexistent/certctl-e2e-aws-config');
  vi.stubEnv('AWS_SHARED_CREDENTIALS_FILE', '/nonexistent/certctl-e2e-aws-credentials');
  plane = await startControlPlane({ installed: true });
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await plane?.stop();
  await acm?.close();
});

describe('end to end: server + proxy agent + ACM', () => {
  it('imports, renews into the same ARN, and rolls back a renewal whose tagging is denied', async () => {
    const name = `api-${Date.now().toString(36)}`;
    const commonName = `${name}.example.com`;
    const agentConfig = agentConfigFor(plane, `${plane.tmp}/${name}-agent`, {
      CERTCTL_POLL_INTERVAL_SECONDS: '0.3',
      CERTCTL_HEARTBEAT_INTERVAL_SECONDS: '5',
    });
    let { agent } = await startAgent(agentConfig, { manifests: [awsAcmTarget] });
    let stop = new AbortController();
    let running = agent.run(stop.signal);
    try {
      const { agent_id } = await agent.ensureRegistered(AbortSignal.timeout(10_000));
      const target = await call(plane.server.api, 'POST', '/api/v1/targets', {
        name: `acm-${name}`,
        type: 'awsacm',
        agent_id,
        config: { region: acm.region, endpoint: acm.url, tags: { env: 'e2e' } },
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
      const latestSerial = async () =>
        String(
          ((await call(plane.server.api, 'GET', `/api/v1/certificates/${id}/versions`)).json.data ?? [])[0]?.serial ??
            '',
        );
      const ours = () => acm.certificates().find((c) => c.tags.get('certctl-certificate-id') === id);

      // Issued on a key made by the agent, imported into ACM with the provenance tags.
      const first = await waitFor(
        'ACM holding the issued certificate',
        async () => {
          const serial = await latestSerial();
          const held = ours();
          return serial && held && sameSerial(held.serial, serial) ? serial : undefined;
        },
        45_000,
      );
      await waitFor('deployment reported', async () =>
        (await jobsOf(plane, id)).find((j) => j.type === 'deployment' && j.status === 'succeeded'),
      );
      const arn = ours()!.arn;
      expect(Object.fromEntries(ours()!.tags)).toMatchObject({ env: 'e2e', 'certctl-managed-by': 'certctl' });

      // The ARN the target learned is reported: kept in the deployment history and in the target's config.
      const history = await call(plane.server.api, 'GET', `/api/v1/certificates/${id}/deployments`);
      expect(history.json.data!.find((d) => d.status === 'succeeded')?.deploy_metadata).toEqual({
        certificate_arn: arn,
      });
      const targetId = String(target.json.id);
      const stored = await call(plane.server.api, 'GET', `/api/v1/targets/${targetId}`);
      expect(stored.json.config).toMatchObject({ region: acm.region, certificate_arn: arn });

      // The agent restarts (its in-memory state gone) and ACM has lost the provenance tags: only the
      // ARN the server kept can lead the renewal into the same certificate.
      stop.abort();
      await running;
      await agent.close();
      acm.get(arn)!.tags.delete('certctl-certificate-id');
      ({ agent } = await startAgent(agentConfig, { manifests: [awsAcmTarget] }));
      stop = new AbortController();
      running = agent.run(stop.signal);

      // A forced renewal: re-imported into the same ARN.
      expect((await call(plane.server.api, 'POST', `/api/v1/certificates/${id}/renew`)).status).toBe(202);
      const second = await waitFor(
        'ACM holding the renewed certificate in the same ARN',
        async () => {
          const serial = await latestSerial();
          const held = acm.get(arn);
          return serial && serial !== first && held && sameSerial(held.serial, serial) ? serial : undefined;
        },
        45_000,
      );
      await waitFor('both deployments reported', async () => {
        const done = (await jobsOf(plane, id)).filter((j) => j.type === 'deployment' && j.status === 'succeeded');
        return done.length >= 2 ? done : undefined;
      });
      expect(acm.certificates().filter((c) => c.tags.get('certctl-certificate-id') === id)).toHaveLength(1);
      expect(acm.get(arn)!.imports).toBe(2);

      // Tagging denied: the renewal fails with a message naming the permission, ACM keeps the second serial.
      acm.deny('AddTagsToCertificate');
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
      expect(failed.map((j) => j.last_error).join('\n')).toMatch(/grant acm:AddTagsToCertificate.*imported again/);
      expect(sameSerial(acm.get(arn)!.serial, second)).toBe(true);
      expect(await latestSerial()).not.toBe(second);
    } finally {
      acm.allow('AddTagsToCertificate');
      stop.abort();
      await running;
      await agent.close();
    }
  }, 150_000);
});
