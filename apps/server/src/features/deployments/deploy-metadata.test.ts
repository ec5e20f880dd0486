/**
 * What a target reports about a deployment (an ACM certificate ARN) reaches the server in the agent's
 * job report: kept on the deployment, shown in the history, and, for keys the target's schema
 * declares that the operator left unset, kept in the target's config.
 */
import { defineTarget, secret } from '@certctl/core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { type Basics, call, certificateBody, createBasics, makeCsr } from '../../testing/api-fixtures.js';
import { describeEachDialect } from '../../testing/each-dialect.js';
import { createTestCa } from '../../testing/test-issuer.js';
import { startTestServer, type TestServer } from '../../testing/test-server.js';

const BOOTSTRAP = 'bootstrap-token-for-deploy-metadata-01';

/** A cloud-like target: the server knows its schema, which declares the id the target learns. */
const cloudTarget = defineTarget({
  specificationVersion: 'v1',
  id: 'cloudlike',
  displayName: 'Cloud-like test target',
  version: '0.0.0',
  configSchema: z
    .object({
      region: z.string(),
      certificate_arn: z
        .string()
        .regex(/^arn:aws:acm:/)
        .optional(),
      api_token: secret(z.string()).optional(),
    })
    .strict(),
  create: () => ({
    deploy: async () => ({ changed: true, detail: 'unused on the server' }),
    validateDeployment: async () => ({ valid: true, detail: 'unused on the server' }),
  }),
});

const ARN = 'arn:aws:acm:eu-west-1:123456789012:certificate/0b5f3a4e-1111-2222-3333-444455556666';

describeEachDialect('deploy metadata from the agent', (ctx) => {
  let server: TestServer;
  let basics: Basics;
  let agentId = '';
  let agentKey = '';

  beforeAll(async () => {
    server = await startTestServer({
      database: ctx,
      connectors: [createTestCa().manifest, cloudTarget],
      env: { CERTCTL_AGENT_BOOTSTRAP_TOKEN: BOOTSTRAP },
    });
    basics = await createBasics(server.api);
    const agent = await call(server.api, 'POST', '/api/v1/agents', { name: `cloud-${ctx.dialect}` }, BOOTSTRAP);
    expect(agent.status, agent.body).toBe(201);
    [agentId, agentKey] = [String(agent.json.id), String(agent.json.api_key)];
  });
  afterAll(async () => {
    await server?.stop();
  });

  /** A target with `config`, a certificate issued for it, and the id of its open deployment job. */
  async function deploymentTo(config: Record<string, unknown>) {
    const target = await call(server.api, 'POST', '/api/v1/targets', {
      name: `cloud-${Math.random().toString(36).slice(2, 8)}`,
      type: 'cloudlike',
      agent_id: agentId,
      config,
    });
    expect(target.status, target.body).toBe(201);
    const body = certificateBody(basics, { target_ids: [target.json.id] });
    const certificate = await call(server.api, 'POST', '/api/v1/certificates', {
      ...body,
      csr_pem: await makeCsr(String(body.common_name)),
    });
    expect(certificate.status, certificate.body).toBe(201);
    await server.runner.runOnce();
    const work = await call(server.api, 'GET', `/api/v1/agents/${agentId}/work`, undefined, agentKey);
    const job = (work.json.jobs as { job_id: string; type: string; target_id: string }[]).find(
      (j) => j.type === 'deployment' && j.target_id === target.json.id,
    );
    expect(job).toBeDefined();
    return { targetId: String(target.json.id), certificateId: String(certificate.json.id), jobId: job!.job_id };
  }
  const report = (jobId: string, body: Record<string, unknown>) =>
    call(server.api, 'POST', `/api/v1/agents/${agentId}/jobs/${jobId}/status`, body, agentKey);
  const targetConfig = async (id: string) =>
    (await call(server.api, 'GET', `/api/v1/targets/${id}`)).json.config as Record<string, unknown>;
  const history = async (certificateId: string) =>
    (await call(server.api, 'GET', `/api/v1/certificates/${certificateId}/deployments`)).json.data!;

  it("keeps the reported ARN on the deployment and in the target's config; other facts only on the deployment", async () => {
    const { targetId, certificateId, jobId } = await deploymentTo({ region: 'eu-west-1', api_token: 'tok-123456' });
    const metadata = { certificate_arn: ARN, api_token: 'from-the-target', import_note: 'fresh import' };
    const reported = await report(jobId, { status: 'succeeded', metadata });
    expect(reported.status, reported.body).toBe(200);
    expect(reported.json.deploy_metadata).toEqual(metadata);
    expect((await history(certificateId))[0]).toMatchObject({ job_id: jobId, deploy_metadata: metadata });
    // The secret field keeps the operator's value (redacted in views), the unknown key stays out.
    expect(await targetConfig(targetId)).toEqual({
      region: 'eu-west-1',
      api_token: '[redacted]',
      certificate_arn: ARN,
    });
    const audit = await call(server.api, 'GET', `/api/v1/audit?resource_id=${jobId}`);
    expect(JSON.stringify(audit.json.data)).toContain('target_config_learned');
  });

  it('never replaces an ARN the operator set, and skips a value the schema refuses', async () => {
    const pinned = 'arn:aws:acm:eu-west-1:123456789012:certificate/99999999-1111-2222-3333-444455556666';
    const first = await deploymentTo({ region: 'eu-west-1', certificate_arn: pinned });
    expect((await report(first.jobId, { status: 'succeeded', metadata: { certificate_arn: ARN } })).status).toBe(200);
    expect((await targetConfig(first.targetId)).certificate_arn).toBe(pinned);

    const second = await deploymentTo({ region: 'eu-west-1' });
    const odd = await report(second.jobId, { status: 'succeeded', metadata: { certificate_arn: 'not-an-arn' } });
    expect(odd.status, odd.body).toBe(200);
    expect(await targetConfig(second.targetId)).toEqual({ region: 'eu-west-1' });
    expect((await history(second.certificateId))[0]!.deploy_metadata).toEqual({ certificate_arn: 'not-an-arn' });
  });

  it('takes reports without metadata (agents before it) and refuses oversized metadata, changing nothing', async () => {
    const { targetId, certificateId, jobId } = await deploymentTo({ region: 'eu-west-1' });
    const tooMany = Object.fromEntries(Array.from({ length: 33 }, (_, i) => [`fact_${i}`, 'x']));
    const refused = await report(jobId, { status: 'succeeded', metadata: tooMany });
    expect(refused.status).toBe(400);
    expect((await report(jobId, { status: 'succeeded', metadata: { certificate_arn: 'x'.repeat(2049) } })).status).toBe(
      400,
    );
    const untouched = (await history(certificateId))[0]!;
    expect(untouched.status).not.toBe('succeeded');
    expect(untouched.deploy_metadata).toBeNull();
    const plain = await report(jobId, { status: 'succeeded' });
    expect(plain.status, plain.body).toBe(200);
    expect((await history(certificateId))[0]).toMatchObject({ status: 'succeeded', deploy_metadata: null });
    expect(await targetConfig(targetId)).toEqual({ region: 'eu-west-1' });
  });
});
