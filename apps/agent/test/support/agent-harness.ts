import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { AgentConfig } from '../../src/agent-config.js';
import { type StartAgentOptions, startAgent } from '../../src/start-agent.js';
import { agentConfigFor, type ControlPlane, startControlPlane } from './control-plane.js';
import { createFileTargetManifest } from './file-target.js';

type Agent = Awaited<ReturnType<typeof startAgent>>['agent'];

export interface AgentInDir {
  agent: Agent;
  config: AgentConfig;
  /** A fresh directory of the test's own (files, endpoints); the agent's state is `<dir>/state`. */
  dir: string;
  stateDir: string;
}

export interface AgentHarness {
  /** The control plane shared by the file's tests (started in beforeAll, stopped in afterAll). */
  readonly plane: ControlPlane;
  /** The `file` target every agent here deploys through, with its controls (delays, failures, calls). */
  readonly target: ReturnType<typeof createFileTargetManifest>;
  /** An agent with the file target, in a fresh directory named `<prefix>…` under the plane's temp dir. */
  agentIn(
    prefix: string,
    options?: { env?: Record<string, string> } & Omit<StartAgentOptions, 'manifests'>,
  ): Promise<AgentInDir>;
  /** An agent on an existing state directory or config: the same agent started again. */
  agentAt(state: string | AgentConfig): Promise<Agent>;
  /** The same, registered with the server. */
  registeredAgentIn(
    prefix: string,
    options?: { env?: Record<string, string> } & Omit<StartAgentOptions, 'manifests'>,
  ): Promise<AgentInDir & { agentId: string }>;
}

/** One server and front door per test file, and agents that deploy to files through it. */
export function useAgentHarness(): AgentHarness {
  const target = createFileTargetManifest('file');
  let plane: ControlPlane | undefined;
  beforeAll(async () => {
    plane = await startControlPlane();
  });
  afterAll(async () => {
    await plane?.stop();
  });
  const started = () => {
    if (!plane) throw new Error('the control plane starts in beforeAll; use the harness inside tests');
    return plane;
  };
  const agentIn: AgentHarness['agentIn'] = async (prefix, { env, ...options } = {}) => {
    const dir = mkdtempSync(join(started().tmp, prefix));
    const stateDir = join(dir, 'state');
    const config = agentConfigFor(started(), stateDir, env);
    const { agent } = await startAgent(config, { ...options, manifests: [target.manifest] });
    return { agent, config, dir, stateDir };
  };
  return {
    get plane() {
      return started();
    },
    target,
    agentIn,
    async agentAt(state) {
      const config = typeof state === 'string' ? agentConfigFor(started(), state) : state;
      return (await startAgent(config, { manifests: [target.manifest] })).agent;
    },
    async registeredAgentIn(prefix, options) {
      const inDir = await agentIn(prefix, options);
      const { agent_id } = await inDir.agent.ensureRegistered(AbortSignal.timeout(10_000));
      return { ...inDir, agentId: agent_id };
    },
  };
}
