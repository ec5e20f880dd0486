import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { call, KEYS } from '@certctl/server/testing';
import { describe, expect, it } from 'vitest';
import { useAgentHarness } from './support/agent-harness.js';
import { certificateOnTarget, jobsOf, waitFor } from './support/control-plane.js';
import { fileBackedTlsServer } from './support/tls-endpoint.js';

const harness = useAgentHarness();

describe('deployments as jobs of their own, with a real agent deploying to files', () => {
  it('redeploys the current version without renewing, keeps the history per certificate and target, and shows what the agent verified', async () => {
    const { agent, agentId: agent_id, dir } = await harness.registeredAgentIn('deploy-now-');
    mkdirSync(join(dir, 'site'));
    const certPath = join(dir, 'site', 'cert.pem');
    const keyPath = join(dir, 'site', 'key.pem');
    const tls = await fileBackedTlsServer(dir, certPath, keyPath);
    try {
      const { certificateId, targetId } = await certificateOnTarget(harness.plane, agent_id, 'file', {
        cert_path: certPath,
        key_path: keyPath,
        post_deploy_verify: { endpoint: `127.0.0.1:${tls.port}`, server_name: 'svc.example.com' },
      });
      // Nothing to deploy before the first issuance.
      const early = await call(harness.plane.server.api, 'POST', `/api/v1/certificates/${certificateId}/deploy`, {});
      expect(early.status).toBe(409);

      await agent.pollOnce(AbortSignal.timeout(15_000)); // CSR
      await waitFor('the first deployment job', async () =>
        (await jobsOf(harness.plane, certificateId)).some((j) => j.type === 'deployment'),
      );
      await agent.pollOnce(AbortSignal.timeout(15_000)); // deployment
      const first = (await jobsOf(harness.plane, certificateId)).find((j) => j.type === 'deployment');
      expect(first?.status).toBe('succeeded');
      const versionsBefore = await call(
        harness.plane.server.api,
        'GET',
        `/api/v1/certificates/${certificateId}/versions`,
      );
      expect(versionsBefore.json.total).toBe(1);

      // Someone breaks the deployed file; deploy-now puts the same version back.
      const deployedBefore = readFileSync(certPath, 'utf8');
      writeFileSync(certPath, 'not a certificate\n');
      const queued = await call(harness.plane.server.api, 'POST', `/api/v1/certificates/${certificateId}/deploy`, {
        target_ids: [targetId],
      });
      expect(queued.status).toBe(202);
      const jobs = queued.json.deployment_jobs as {
        id: string;
        status: string;
        trigger: string;
        requested_by: string;
      }[];
      expect(jobs).toHaveLength(1);
      expect(jobs[0]).toMatchObject({ status: 'pending', trigger: 'manual', requested_by: 'admin' });
      expect(queued.json.version_id).toBe(versionsBefore.json.data![0]!.id);
      // Asking again while it is queued does not queue a second deployment.
      const again = await call(harness.plane.server.api, 'POST', `/api/v1/certificates/${certificateId}/deploy`, {});
      expect(again.status).toBe(202);
      expect(again.json.deployment_jobs).toEqual([]);
      expect(again.json.skipped).toEqual([
        { target_id: targetId, reason: 'a deployment to this target is already queued or running' },
      ]);

      await agent.pollOnce(AbortSignal.timeout(15_000));
      expect(readFileSync(certPath, 'utf8')).toBe(deployedBefore);
      const versionsAfter = await call(
        harness.plane.server.api,
        'GET',
        `/api/v1/certificates/${certificateId}/versions`,
      );
      expect(versionsAfter.json.total).toBe(1);

      const verification = await call(harness.plane.server.api, 'GET', `/api/v1/jobs/${jobs[0]!.id}/verification`);
      expect(verification.status).toBe(200);
      const fingerprint = String(versionsBefore.json.data![0]!.fingerprint_sha256).toLowerCase().replaceAll(':', '');
      expect(verification.json).toMatchObject({
        job_status: 'succeeded',
        status: 'verified',
        verified: true,
        endpoint: `127.0.0.1:${tls.port}`,
        expected_fingerprint: fingerprint,
        actual_fingerprint: fingerprint,
      });

      const byCertificate = await call(
        harness.plane.server.api,
        'GET',
        `/api/v1/certificates/${certificateId}/deployments`,
      );
      expect(byCertificate.json.total).toBe(2);
      expect(byCertificate.json.data!.map((d) => [d.trigger, d.status, d.verification_status, d.serial])).toEqual([
        ['manual', 'succeeded', 'verified', versionsBefore.json.data![0]!.serial],
        ['issued', 'succeeded', 'verified', versionsBefore.json.data![0]!.serial],
      ]);
      expect(byCertificate.json.data![0]).toMatchObject({ target_id: targetId, target_type: 'file', agent_id });
      const byTarget = await call(harness.plane.server.api, 'GET', `/api/v1/targets/${targetId}/deployments`);
      expect(byTarget.json.data!.map((d) => d.job_id)).toEqual(byCertificate.json.data!.map((d) => d.job_id));

      const audit = await call(
        harness.plane.server.api,
        'GET',
        `/api/v1/audit?resource_id=${certificateId}&action=deployment_requested`,
      );
      expect(audit.json.data!.map((e) => (e.details as { job_ids: string[] }).job_ids)).toEqual([[], [jobs[0]!.id]]);
    } finally {
      tls.server.close();
      await agent.close();
    }
  }, 60_000);

  it('refuses targets the certificate is not bound to, unknown certificates, viewers, and non-deployment jobs', async () => {
    const { agent, agentId: agent_id, dir } = await harness.registeredAgentIn('deploy-bad-');
    try {
      const { certificateId } = await certificateOnTarget(harness.plane, agent_id, 'file', {
        cert_path: join(dir, 'cert.pem'),
        key_path: join(dir, 'key.pem'),
      });
      await agent.pollOnce(AbortSignal.timeout(15_000));
      const other = await call(harness.plane.server.api, 'POST', '/api/v1/targets', {
        name: `unbound-${Math.random().toString(36).slice(2, 8)}`,
        type: 'file',
        agent_id,
        config: { cert_path: join(dir, 'o.pem'), key_path: join(dir, 'o.key') },
      });
      const unbound = await call(harness.plane.server.api, 'POST', `/api/v1/certificates/${certificateId}/deploy`, {
        target_ids: [other.json.id],
      });
      expect(unbound.status).toBe(400);
      expect(unbound.json).toMatchObject({ error: 'invalid_request', request_id: expect.any(String) });
      expect((await call(harness.plane.server.api, 'POST', '/api/v1/certificates/mc-nope/deploy', {})).status).toBe(
        404,
      );
      const viewer = await call(
        harness.plane.server.api,
        'POST',
        `/api/v1/certificates/${certificateId}/deploy`,
        {},
        KEYS.viewer,
      );
      expect(viewer.status).toBe(403);
      const issuance = (await jobsOf(harness.plane, certificateId)).find((j) => j.type !== 'deployment');
      expect((await call(harness.plane.server.api, 'GET', `/api/v1/jobs/${issuance!.id}/verification`)).status).toBe(
        409,
      );
      expect((await call(harness.plane.server.api, 'GET', '/api/v1/targets/tgt-nope/deployments')).status).toBe(404);
      // None of the refusals queued anything.
      const deployments = await call(
        harness.plane.server.api,
        'GET',
        `/api/v1/certificates/${certificateId}/deployments`,
      );
      expect(deployments.json.data!.every((d) => d.trigger === 'issued')).toBe(true);
    } finally {
      await agent.close();
    }
  }, 60_000);
});
