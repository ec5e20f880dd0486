import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { call } from '@certctl/server/testing';
import { describe, expect, it } from 'vitest';
import { useAgentHarness } from './support/agent-harness.js';
import { certificateOnTarget, jobsOf, waitFor } from './support/control-plane.js';
import { fileBackedTlsServer, selfSignedPem } from './support/tls-endpoint.js';

const harness = useAgentHarness();
const { target } = harness;

const mode = (path: string) => statSync(path).mode & 0o777;
const openssl = (args: string[], input?: string) => execFileSync('openssl', args, { input, encoding: 'utf8' });

/** Polls until the certificate's latest deployment job reached a final status. */
async function deployed(
  agent: Awaited<ReturnType<typeof harness.agentAt>>,
  certificateId: string,
  previousDeployments = 0,
) {
  await waitFor(
    'a deployment job',
    async () =>
      (await jobsOf(harness.plane, certificateId)).filter((j) => j.type === 'deployment').length > previousDeployments,
  );
  await agent.pollOnce(AbortSignal.timeout(15_000));
  const jobs = (await jobsOf(harness.plane, certificateId)).filter((j) => j.type === 'deployment');
  return jobs[0];
}

describe('certctl-agent against a real server', () => {
  it('registers with the bootstrap token, keeps its own API key 0600, heartbeats its host facts, and registers only once', async () => {
    const { agent, stateDir } = await harness.agentIn('reg-');
    await agent.runOnce(AbortSignal.timeout(15_000));
    const identityFile = join(stateDir, 'identity.json');
    expect(mode(identityFile)).toBe(0o600);
    expect(mode(stateDir)).toBe(0o700);
    expect(mode(join(stateDir, 'keys'))).toBe(0o700);
    const identity = JSON.parse(readFileSync(identityFile, 'utf8'));
    expect(identity.api_key).toMatch(/.{16,}/);
    const shown = await call(harness.plane.server.api, 'GET', `/api/v1/agents/${identity.agent_id}`);
    expect(shown.json).toMatchObject({ status: 'online', architecture: process.arch });
    expect(String(shown.json.os)).not.toBe('');
    expect(String(shown.json.version)).not.toBe('');
    // The key works as the agent's own credential, and another agent's resources are off limits.
    const work = await call(
      harness.plane.server.api,
      'GET',
      `/api/v1/agents/${identity.agent_id}/work`,
      undefined,
      identity.api_key,
    );
    expect(work.status).toBe(200);
    await agent.close();

    const registrations = () =>
      harness.plane.door.recorded.filter((r) => r.method === 'POST' && r.url === '/api/v1/agents').length;
    const before = registrations();
    const again = await harness.agentAt(stateDir);
    await again.runOnce(AbortSignal.timeout(15_000));
    await again.close();
    expect(registrations()).toBe(before);
  });

  it('issues with a key made on the agent, deploys through the target, verifies the endpoint, and never sends the key', async () => {
    const { agent, agentId: agent_id, dir, stateDir } = await harness.registeredAgentIn('deploy-');
    const certPath = join(dir, 'site', 'cert.pem');
    const keyPath = join(dir, 'site', 'key.pem');
    mkdirSync(join(dir, 'site'));
    const tls = await fileBackedTlsServer(dir, certPath, keyPath);
    try {
      const { certificateId } = await certificateOnTarget(harness.plane, agent_id, 'file', {
        cert_path: certPath,
        key_path: keyPath,
        post_deploy_verify: { endpoint: `127.0.0.1:${tls.port}`, server_name: 'svc.example.com' },
      });
      await agent.pollOnce(AbortSignal.timeout(15_000));
      const job = await deployed(agent, certificateId);
      expect(job).toMatchObject({ status: 'succeeded', last_error: null });
      expect(job?.verification).toMatchObject({ verified: true });

      const keyDir = join(stateDir, 'keys', certificateId);
      const keyFiles = readdirSync(keyDir);
      expect(keyFiles).toHaveLength(1);
      const keyFile = join(keyDir, keyFiles[0] as string);
      expect(mode(keyFile)).toBe(0o600);
      expect(mode(keyDir)).toBe(0o700);
      expect(mode(keyPath)).toBe(0o600);
      // ECDSA P-256 by default; openssl agrees the deployed key belongs to the deployed certificate, which the CA signed.
      expect(openssl(['pkey', '-in', keyFile, '-noout', '-text'])).toMatch(/prime256v1|P-256/);
      expect(openssl(['x509', '-in', certPath, '-noout', '-pubkey'])).toBe(
        openssl(['pkey', '-in', keyPath, '-pubout']),
      );
      const caFile = join(dir, 'test-ca.pem');
      writeFileSync(caFile, (await harness.plane.ca.authority()).certificate.pem);
      expect(openssl(['verify', '-CAfile', caFile, certPath])).toContain(': OK');
      expect(readFileSync(keyFile, 'utf8')).toBe(readFileSync(keyPath, 'utf8'));

      const keyBody = readFileSync(keyFile, 'utf8')
        .split('\n')
        .filter((l) => l && !l.startsWith('-----'))
        .join('');
      for (const request of harness.plane.door.recorded) {
        expect(request.body).not.toContain('PRIVATE KEY');
        expect(request.body.replaceAll('\\n', '')).not.toContain(keyBody.slice(0, 40));
      }
    } finally {
      tls.server.close();
      await agent.close();
    }
  });

  it('uses the key algorithm and size the profile allows (RSA 3072)', async () => {
    const profile = await call(harness.plane.server.api, 'POST', '/api/v1/profiles', {
      name: `rsa-${Date.now()}`,
      allowed_key_algorithms: [{ algorithm: 'RSA', min_size: 3072 }],
      allowed_ekus: ['serverAuth'],
    });
    expect(profile.status).toBe(201);
    const { agent, agentId: agent_id, dir } = await harness.registeredAgentIn('rsa-');
    const { certificateId } = await certificateOnTarget(
      harness.plane,
      agent_id,
      'file',
      { cert_path: join(dir, 'cert.pem'), key_path: join(dir, 'key.pem') },
      { profile_id: profile.json.id },
    );
    await agent.pollOnce(AbortSignal.timeout(30_000));
    expect(await deployed(agent, certificateId)).toMatchObject({ status: 'succeeded' });
    expect(openssl(['pkey', '-in', join(dir, 'key.pem'), '-noout', '-text'])).toMatch(/Private-Key: \(3072 bit/);
    await agent.close();
  });

  it.each(['key-ready', 'csr-submitted'] as const)(
    'a restart after %s resumes with the same key and one CSR',
    async (crashAt) => {
      const {
        agent: first,
        agentId: agent_id,
        dir,
        stateDir,
      } = await harness.registeredAgentIn(`crash-${crashAt}-`, {
        afterStep: (step) => {
          if (step === crashAt) throw new Error(`simulated crash after ${step}`);
        },
      });
      const { certificateId } = await certificateOnTarget(harness.plane, agent_id, 'file', {
        cert_path: join(dir, 'cert.pem'),
        key_path: join(dir, 'key.pem'),
      });
      await expect(first.pollOnce(AbortSignal.timeout(15_000))).rejects.toThrow(/simulated crash/);
      await first.close();
      const keyDir = join(stateDir, 'keys', certificateId);
      const keyBefore = readFileSync(join(keyDir, readdirSync(keyDir)[0] as string), 'utf8');

      const second = await harness.agentAt(stateDir);
      await second.pollOnce(AbortSignal.timeout(15_000));
      expect(await deployed(second, certificateId)).toMatchObject({ status: 'succeeded' });
      expect(readdirSync(keyDir)).toHaveLength(1);
      expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toBe(keyBefore);
      const csrPosts = harness.plane.door.recorded.filter((r) => r.url === `/api/v1/agents/${agent_id}/csr`);
      expect(csrPosts).toHaveLength(1);
      await second.close();
    },
  );

  it('a restart after the deploy but before the report reports the outcome without deploying twice', async () => {
    const {
      agent: first,
      agentId: agent_id,
      dir,
      stateDir,
    } = await harness.registeredAgentIn('crash-deployed-', {
      afterStep: (step) => {
        if (step === 'deployed') throw new Error('simulated crash after deployed');
      },
    });
    const { certificateId } = await certificateOnTarget(harness.plane, agent_id, 'file', {
      cert_path: join(dir, 'cert.pem'),
      key_path: join(dir, 'key.pem'),
    });
    await first.pollOnce(AbortSignal.timeout(15_000));
    await waitFor('a deployment job', async () =>
      (await jobsOf(harness.plane, certificateId)).some((j) => j.type === 'deployment'),
    );
    const callsBefore = target.control.deployCalls.length;
    await expect(first.pollOnce(AbortSignal.timeout(15_000))).rejects.toThrow(/simulated crash/);
    await first.close();
    expect(target.control.deployCalls.length).toBe(callsBefore + 1);
    expect((await jobsOf(harness.plane, certificateId)).find((j) => j.type === 'deployment')?.status).toBe('running');

    const second = await harness.agentAt(stateDir);
    await second.pollOnce(AbortSignal.timeout(15_000));
    expect((await jobsOf(harness.plane, certificateId)).find((j) => j.type === 'deployment')?.status).toBe('succeeded');
    expect(target.control.deployCalls.length).toBe(callsBefore + 1);
    expect(JSON.parse(readFileSync(join(stateDir, 'journal.json'), 'utf8')).jobs).toEqual({});
    expect(mode(join(stateDir, 'journal.json'))).toBe(0o600);
    await second.close();
  });

  it('keeps the previous key until a renewed certificate is confirmed deployed', async () => {
    const { agent, agentId: agent_id, dir, stateDir } = await harness.registeredAgentIn('renew-');
    const { certificateId } = await certificateOnTarget(harness.plane, agent_id, 'file', {
      cert_path: join(dir, 'cert.pem'),
      key_path: join(dir, 'key.pem'),
    });
    await agent.pollOnce(AbortSignal.timeout(15_000));
    expect(await deployed(agent, certificateId)).toMatchObject({ status: 'succeeded' });
    const keyDir = join(stateDir, 'keys', certificateId);
    const firstKey = readFileSync(join(dir, 'key.pem'), 'utf8');

    // A renewal whose deployment fails: both keys stay, the old one still serves.
    expect((await call(harness.plane.server.api, 'POST', `/api/v1/certificates/${certificateId}/renew`)).status).toBe(
      202,
    );
    await agent.pollOnce(AbortSignal.timeout(15_000));
    target.control.failWith = 'disk full';
    try {
      expect(await deployed(agent, certificateId, 1)).toMatchObject({
        status: 'failed',
        last_error: expect.stringContaining('disk full'),
      });
    } finally {
      target.control.failWith = undefined;
    }
    expect(readdirSync(keyDir)).toHaveLength(2);
    expect(readFileSync(join(dir, 'key.pem'), 'utf8')).toBe(firstKey);

    // The next renewal deploys fine: confirmed, so the keys before it are retired.
    expect((await call(harness.plane.server.api, 'POST', `/api/v1/certificates/${certificateId}/renew`)).status).toBe(
      202,
    );
    await agent.pollOnce(AbortSignal.timeout(15_000));
    expect(readdirSync(keyDir)).toHaveLength(3);
    expect(await deployed(agent, certificateId, 2)).toMatchObject({ status: 'succeeded' });
    expect(readdirSync(keyDir)).toHaveLength(1);
    expect(readFileSync(join(dir, 'key.pem'), 'utf8')).not.toBe(firstKey);
    await agent.close();
  });

  it('reports a failed verification when the endpoint serves another certificate', async () => {
    const { agent, agentId: agent_id, dir } = await harness.registeredAgentIn('verify-');
    const other = selfSignedPem(dir, 'other');
    const tls = await fileBackedTlsServer(dir, other, other);
    try {
      const { certificateId } = await certificateOnTarget(harness.plane, agent_id, 'file', {
        cert_path: join(dir, 'cert.pem'),
        key_path: join(dir, 'key.pem'),
        post_deploy_verify: { endpoint: `127.0.0.1:${tls.port}`, server_name: 'x.example.com' },
      });
      await agent.pollOnce(AbortSignal.timeout(15_000));
      const job = await deployed(agent, certificateId);
      expect(job).toMatchObject({ status: 'failed', last_error: expect.stringContaining('different certificate') });
      expect(job?.verification).toMatchObject({ verified: false });
      expect(job?.verification?.actual_fingerprint).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      tls.server.close();
      await agent.close();
    }
  }, 30_000);
  it('CERTCTL_VERIFY_DEPLOYMENT=false skips the verification a target asks for; CERTCTL_DEPLOY_BACKUP_RETENTION sets its backups', async () => {
    for (const retention of [0, 1]) {
      const {
        agent,
        agentId: agent_id,
        dir,
      } = await harness.registeredAgentIn('no-verify-', {
        env: { CERTCTL_VERIFY_DEPLOYMENT: 'false', CERTCTL_DEPLOY_BACKUP_RETENTION: String(retention) },
      });
      const other = selfSignedPem(dir, 'other');
      const tls = await fileBackedTlsServer(dir, other, other);
      // Files already there: a deploy backs them up, as many as the retention allows.
      writeFileSync(join(dir, 'cert.pem'), readFileSync(other));
      writeFileSync(join(dir, 'key.pem'), readFileSync(other));
      try {
        const { certificateId } = await certificateOnTarget(harness.plane, agent_id, 'file', {
          cert_path: join(dir, 'cert.pem'),
          key_path: join(dir, 'key.pem'),
          post_deploy_verify: { endpoint: `127.0.0.1:${tls.port}`, server_name: 'x.example.com' },
        });
        await agent.pollOnce(AbortSignal.timeout(15_000));
        const job = await deployed(agent, certificateId);
        // The endpoint serves another certificate: with verification on, this job fails (see the test above).
        expect(job).toMatchObject({ status: 'succeeded' });
        expect(job?.verification ?? undefined).toBeUndefined();
        expect(readdirSync(dir).filter((name) => name.includes('.certctl-bak.'))).toHaveLength(retention * 2);
      } finally {
        tls.server.close();
        await agent.close();
      }
    }
  }, 60_000);
});
