import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { type ConnectorLogger, defineTarget, REDACTED, secret } from '@certctl/core';
import { call } from '@certctl/server/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCertctlAgent } from '../src/certctl-agent.js';
import { type AgentReport, type ServerClient, ServerRequestError } from '../src/server-client.js';
import { startAgent } from '../src/start-agent.js';
import { createTargetRegistry, registerTargets } from '../src/target-registry.js';
import { TARGET_TYPES_REFRESH_MS } from '../src/target-types-report.js';
import {
  agentConfigFor,
  type ControlPlane,
  certificateOnTarget,
  jobsOf,
  startControlPlane,
  waitFor,
} from './support/control-plane.js';

/** A target only the agent has (the server's registry has no targets): its schema marks a secret. */
function createApplianceTarget() {
  const received: Record<string, unknown>[] = [];
  const manifest = defineTarget({
    specificationVersion: 'v1',
    id: 'appliance',
    displayName: 'Test appliance (agent only)',
    version: '0.0.0',
    configSchema: z.object({ host: z.string().min(1), password: secret(z.string().min(8)) }).strict(),
    create: (config) => ({
      async deploy() {
        received.push({ ...config });
        return { changed: true, detail: `uploaded to ${config.host}` };
      },
      validateDeployment: async () => ({ valid: true, detail: 'ok' }),
    }),
  });
  return { manifest, received };
}

const PASSWORD = 'appliance-password-only-the-agent-sees';

describe('the agent reports its target types to a real server', () => {
  const appliance = createApplianceTarget();
  let plane: ControlPlane;
  beforeAll(async () => {
    plane = await startControlPlane();
  });
  afterAll(async () => {
    await plane?.stop();
  });

  it("registers with its target types; the server checks target configs against them, encrypts the secret, and the agent's deploy gets it decrypted", async () => {
    const stateDir = join(mkdtempSync(join(plane.tmp, 'types-')), 'state');
    const { agent } = await startAgent(agentConfigFor(plane, stateDir), { manifests: [appliance.manifest] });
    try {
      const { agent_id } = await agent.ensureRegistered(AbortSignal.timeout(10_000));
      const registration = plane.door.recorded.find(
        (r) => r.method === 'POST' && r.url === '/api/v1/agents' && r.status === 201,
      );
      const reported = JSON.parse(registration?.body ?? '{}').target_types as {
        type: string;
        config_schema: Record<string, unknown>;
      }[];
      expect(reported.map((t) => t.type)).toContain('appliance');
      expect(JSON.stringify(reported.find((t) => t.type === 'appliance')?.config_schema)).toContain(
        '"x-certctl-secret":true',
      );

      const refused = await call(plane.server.api, 'POST', '/api/v1/targets', {
        name: `bad-${agent_id}`,
        type: 'appliance',
        agent_id,
        config: { host: 'lb.example.net', password: 'short' },
      });
      expect(refused.status).toBe(400);
      expect(refused.json).toMatchObject({ error: 'invalid_config' });
      expect(refused.body).not.toContain('short');

      const { targetId, certificateId } = await certificateOnTarget(plane, agent_id, 'appliance', {
        host: 'lb.example.net',
        password: PASSWORD,
      });
      const shown = await call(plane.server.api, 'GET', `/api/v1/targets/${targetId}`);
      expect(shown.json).toMatchObject({ config_schema_source: 'agent', config: { password: REDACTED } });
      const row = await plane.server.deps.db
        .selectFrom('targets')
        .select('config')
        .where('id', '=', targetId)
        .executeTakeFirstOrThrow();
      expect(JSON.stringify(row.config)).not.toContain(PASSWORD);

      await agent.pollOnce(AbortSignal.timeout(15_000));
      await waitFor('a deployment job', async () =>
        (await jobsOf(plane, certificateId)).some((j) => j.type === 'deployment'),
      );
      await agent.pollOnce(AbortSignal.timeout(15_000));
      const job = (await jobsOf(plane, certificateId)).find((j) => j.type === 'deployment');
      expect(job).toMatchObject({ status: 'succeeded' });
      expect(appliance.received.at(-1)).toEqual({ host: 'lb.example.net', password: PASSWORD });
    } finally {
      await agent.close();
    }
  });
});

/** A server client double: records what the agent reports, and can refuse the target_types field as an older server does. */
function fakeServer(options: { refuseTargetTypes: boolean }) {
  const reports: { call: 'register' | 'heartbeat'; body: AgentReport }[] = [];
  let unrelated400 = 0;
  const answer = (call: 'register' | 'heartbeat', body: AgentReport) => {
    reports.push({ call, body });
    const path = call === 'register' ? '/api/v1/agents' : '/api/v1/agents/agent-1/heartbeat';
    if (unrelated400 > 0) {
      unrelated400--;
      throw new ServerRequestError(
        `POST ${path}: 400 invalid request: hostname: Too big`,
        400,
        false,
        'validation_failed',
      );
    }
    if (options.refuseTargetTypes && body.target_types)
      throw new ServerRequestError(
        `POST ${path}: 400 invalid request: (body): Unrecognized key: "target_types"`,
        400,
        false,
        'validation_failed',
      );
  };
  const client = {
    setApiKey() {},
    async register(_token: string, body: AgentReport) {
      answer('register', body);
      return { id: 'agent-1', api_key: 'agent-key-0123456789abcdef' };
    },
    async heartbeat(_agentId: string, body: AgentReport) {
      answer('heartbeat', body);
      return {};
    },
    async close() {},
  } as unknown as ServerClient;
  return {
    client,
    reports,
    failNextWithUnrelated400() {
      unrelated400 = 1;
    },
  };
}

const silent: ConnectorLogger = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent };

async function agentWith(server: ReturnType<typeof fakeServer>, clock: { now: number }) {
  const appliance = createApplianceTarget();
  const targets = createTargetRegistry(silent, new AbortController().signal);
  await registerTargets(targets, { explicit: [], manifests: [appliance.manifest] });
  const config = agentConfigFor(
    { door: { url: 'https://127.0.0.1:9' }, caFile: '' } as unknown as ControlPlane,
    join(mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'certctl-agent-types-')), 'state'),
  );
  return createCertctlAgent({
    config,
    logger: silent,
    targets,
    version: '0.0.0-test',
    client: server.client,
    now: () => clock.now,
  });
}

describe('reporting target types to servers that do not know the field', () => {
  it('falls back to a report without target_types when the server refuses the field, and offers it again an hour later', async () => {
    const server = fakeServer({ refuseTargetTypes: true });
    const clock = { now: 1_000_000 };
    const agent = await agentWith(server, clock);
    await agent.ensureRegistered(AbortSignal.timeout(5_000));
    await agent.heartbeat(AbortSignal.timeout(5_000));
    expect(server.reports.map((r) => [r.call, Boolean(r.body.target_types)])).toEqual([
      ['register', true],
      ['register', false],
      ['heartbeat', false],
    ]);

    clock.now += TARGET_TYPES_REFRESH_MS;
    await agent.heartbeat(AbortSignal.timeout(5_000));
    expect(server.reports.slice(3).map((r) => [r.call, Boolean(r.body.target_types)])).toEqual([
      ['heartbeat', true],
      ['heartbeat', false],
    ]);
    await agent.close();
  });

  it('keeps offering the field after a 400 that is not about it, and refreshes hourly once accepted', async () => {
    const server = fakeServer({ refuseTargetTypes: false });
    const clock = { now: 1_000_000 };
    const agent = await agentWith(server, clock);
    await agent.ensureRegistered(AbortSignal.timeout(5_000));
    clock.now += TARGET_TYPES_REFRESH_MS;
    server.failNextWithUnrelated400();
    await expect(agent.heartbeat(AbortSignal.timeout(5_000))).rejects.toThrow(/hostname: Too big/);
    await agent.heartbeat(AbortSignal.timeout(5_000));
    await agent.heartbeat(AbortSignal.timeout(5_000));
    expect(server.reports.map((r) => [r.call, Boolean(r.body.target_types)])).toEqual([
      ['register', true],
      ['heartbeat', true],
      ['heartbeat', true],
      ['heartbeat', false],
    ]);
    const types = server.reports[0]?.body.target_types ?? [];
    expect(types.map((t) => t.type)).toContain('appliance');
    await agent.close();
  });
});
