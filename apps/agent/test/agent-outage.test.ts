import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleepWithSignal } from '@certctl/connector-utils';
import type { ConnectorLogger } from '@certctl/core';
import { call } from '@certctl/server/testing';
import { describe, expect, it } from 'vitest';
import { useAgentHarness } from './support/agent-harness.js';
import { certificateOnTarget, jobsOf, waitFor } from './support/control-plane.js';

const harness = useAgentHarness();
const { target } = harness;

describe('certctl-agent when the server is down or failing', () => {
  it('backs off with jitter while the server is down, then registers and deploys once it is back', async () => {
    const delays: number[] = [];
    const { agent, dir } = await harness.agentIn('outage-', {
      env: {
        CERTCTL_POLL_INTERVAL_SECONDS: '0.1',
        CERTCTL_BACKOFF_BASE_SECONDS: '0.04',
        CERTCTL_BACKOFF_MAX_SECONDS: '0.32',
      },
      sleep: (ms, signal) => {
        delays.push(ms);
        return sleepWithSignal(ms, signal);
      },
    });
    await harness.plane.door.down();
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await new Promise((r) => setTimeout(r, 1500));
    const whileDown = delays.length;
    // Bounded: 1.5 s of outage with a 40 ms base and a 320 ms cap is a handful of attempts, not a busy loop.
    expect(whileDown).toBeGreaterThanOrEqual(3);
    expect(whileDown).toBeLessThan(30);
    // connector-utils' full-jitter policy: each delay within [0, min(cap, base * 2^(failures-1))].
    for (const [i, delay] of delays.entries()) expect(delay).toBeLessThanOrEqual(Math.min(320, 40 * 2 ** i));
    expect(new Set(delays).size).toBeGreaterThan(1);

    await harness.plane.door.up();
    const identityFile = join(dir, 'state', 'identity.json');
    const identity = await waitFor('registration after the outage', async () => {
      try {
        return JSON.parse(readFileSync(identityFile, 'utf8')) as { agent_id: string };
      } catch {
        return undefined;
      }
    });
    const { certificateId } = await certificateOnTarget(harness.plane, identity.agent_id, 'file', {
      cert_path: join(dir, 'cert.pem'),
      key_path: join(dir, 'key.pem'),
    });
    await waitFor('deployment', async () =>
      (await jobsOf(harness.plane, certificateId)).find((j) => j.type === 'deployment' && j.status === 'succeeded'),
    );

    // The server answers 503 for a while: the agent backs off again, then carries on.
    harness.plane.door.setMode('unavailable');
    const before = harness.plane.door.recorded.length;
    await new Promise((r) => setTimeout(r, 1200));
    const during = harness.plane.door.recorded.length - before;
    expect(during).toBeGreaterThanOrEqual(2);
    expect(during).toBeLessThan(16);
    harness.plane.door.setMode('up');
    expect((await call(harness.plane.server.api, 'POST', `/api/v1/certificates/${certificateId}/renew`)).status).toBe(
      202,
    );
    await waitFor(
      'renewed deployment',
      async () =>
        (await jobsOf(harness.plane, certificateId)).filter((j) => j.type === 'deployment' && j.status === 'succeeded')
          .length === 2,
    );

    stop.abort();
    expect(await running).toBe('stopped');
    await agent.close();
  }, 45_000);

  it('an agent started while the server is slow gives up each call at its deadline and retries later', async () => {
    const { agent } = await harness.agentIn('slow-', { env: { CERTCTL_HTTP_TIMEOUT_SECONDS: '0.3' } });
    harness.plane.door.setMode('unavailable');
    const started = Date.now();
    await expect(agent.runOnce(AbortSignal.timeout(10_000), 3)).rejects.toThrow(/503/);
    expect(Date.now() - started).toBeLessThan(5000);
    harness.plane.door.setMode('up');
    await agent.runOnce(AbortSignal.timeout(10_000), 3);
    await agent.close();
  });
});

describe('stopping in the middle of a job (what SIGTERM does)', () => {
  async function agentWithJobInFlight(grace: string, delayMs: number) {
    const {
      agent,
      agentId: agent_id,
      dir,
      stateDir,
      config,
    } = await harness.registeredAgentIn('stop-', {
      env: { CERTCTL_POLL_INTERVAL_SECONDS: '0.1', CERTCTL_SHUTDOWN_GRACE_SECONDS: grace },
    });
    const { certificateId } = await certificateOnTarget(harness.plane, agent_id, 'file', {
      cert_path: join(dir, 'cert.pem'),
      key_path: join(dir, 'key.pem'),
    });
    const started = new Promise<void>((resolve) => {
      target.control.onDeployStart = resolve;
    });
    target.control.delayMs = delayMs;
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    await started;
    return { agent, stop, running, certificateId, stateDir, config };
  }

  it('finishes the job in hand within the grace period, then stops', async () => {
    const { agent, stop, running, certificateId, stateDir } = await agentWithJobInFlight('10', 800);
    try {
      stop.abort(new Error('SIGTERM'));
      expect(await running).toBe('stopped');
      expect((await jobsOf(harness.plane, certificateId)).find((j) => j.type === 'deployment')?.status).toBe(
        'succeeded',
      );
      expect(JSON.parse(readFileSync(join(stateDir, 'journal.json'), 'utf8')).jobs).toEqual({});
    } finally {
      target.control.delayMs = undefined;
      target.control.onDeployStart = undefined;
      await agent.close();
    }
  });

  it('past the grace period abandons the job cleanly; the next start resumes and finishes it', async () => {
    const { agent, stop, running, certificateId, stateDir, config } = await agentWithJobInFlight('0.2', 30_000);
    const stoppedAt = Date.now();
    try {
      stop.abort(new Error('SIGTERM'));
      expect(await running).toBe('stopped');
      expect(Date.now() - stoppedAt).toBeLessThan(5_000);
    } finally {
      target.control.delayMs = undefined;
      target.control.onDeployStart = undefined;
      await agent.close();
    }
    const deployment = (await jobsOf(harness.plane, certificateId)).find((j) => j.type === 'deployment');
    expect(deployment?.status).toBe('running');
    const journal = JSON.parse(readFileSync(join(stateDir, 'journal.json'), 'utf8')).jobs;
    expect(journal[deployment?.id ?? '']).toMatchObject({ phase: 'deploying' });

    const next = await harness.agentAt(config);
    await next.pollOnce(AbortSignal.timeout(15_000));
    expect((await jobsOf(harness.plane, certificateId)).find((j) => j.type === 'deployment')?.status).toBe('succeeded');
    await next.close();
  });

  it('a retired agent stops for good and says why', async () => {
    const errors: string[] = [];
    const logger: ConnectorLogger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: (fields: unknown) => void errors.push(JSON.stringify(fields)),
      child: () => logger,
    };
    const { agent, agentId: agent_id } = await harness.registeredAgentIn('retired-', { logger });
    const retired = await call(
      harness.plane.server.api,
      'DELETE',
      `/api/v1/agents/${agent_id}?force=true&reason=rack%2012%20decommissioned`,
    );
    expect(retired.status, retired.body).toBe(204);
    const stop = new AbortController();
    const outcome = await Promise.race([
      agent.run(stop.signal),
      new Promise((r) => setTimeout(() => r('still running'), 10_000)),
    ]);
    stop.abort();
    expect(outcome).toBe('retired');
    expect(errors.join('\n')).toContain(
      `this agent has been retired on the server; stopping (agent ${agent_id} is retired (by admin: rack 12 decommissioned))`,
    );
    await agent.close();
  });
});
