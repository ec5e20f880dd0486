import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AnyConnectorManifest } from '@certctl/core';
import {
  type Basics,
  call,
  createBasics,
  createTestCa,
  startTestServer,
  type TestServer,
} from '@certctl/server/testing';
import { type AgentConfig, loadAgentConfig } from '../../src/agent-config.js';
import { type FrontDoor, startFrontDoor } from './front-door.js';

export const BOOTSTRAP_TOKEN = 'bootstrap-token-0123456789abcdef';

export interface ControlPlane {
  server: TestServer;
  door: FrontDoor;
  caFile: string;
  basics: Basics;
  ca: ReturnType<typeof createTestCa>;
  tmp: string;
  stop(): Promise<void>;
}

/** A real certctl server (embedded database, scheduler on, test CA) behind a recording HTTPS front door. */
export async function startControlPlane(
  options: { connectors?: AnyConnectorManifest[]; installed?: boolean; env?: Record<string, string> } = {},
): Promise<ControlPlane> {
  const tmp = mkdtempSync(join(tmpdir(), 'certctl-agent-test-'));
  const ca = createTestCa();
  const server = await startTestServer({
    database: {},
    connectors: [ca.manifest, ...(options.connectors ?? [])],
    scheduler: true,
    installed: options.installed,
    env: { CERTCTL_AGENT_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN, ...options.env },
  });
  const door = await startFrontDoor(server.api, server.tls);
  const caFile = join(tmp, 'server-ca.pem');
  writeFileSync(caFile, server.tls.caPem ?? '');
  const basics = await createBasics(server.api);
  return {
    server,
    door,
    caFile,
    basics,
    ca,
    tmp,
    async stop() {
      await door.close();
      await server.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export function agentConfigFor(plane: ControlPlane, stateDir: string, env: Record<string, string> = {}): AgentConfig {
  return loadAgentConfig({
    CERTCTL_SERVER_URL: plane.door.url,
    CERTCTL_AGENT_BOOTSTRAP_TOKEN: BOOTSTRAP_TOKEN,
    CERTCTL_SERVER_CA_FILE: plane.caFile,
    CERTCTL_AGENT_STATE_DIR: stateDir,
    CERTCTL_AGENT_NAME: `agent-${Math.random().toString(36).slice(2, 8)}`,
    CERTCTL_LOG_LEVEL: 'silent',
    CERTCTL_BACKOFF_BASE_SECONDS: '0.05',
    CERTCTL_BACKOFF_MAX_SECONDS: '0.4',
    CERTCTL_HTTP_TIMEOUT_SECONDS: '5',
    CERTCTL_VERIFY_TIMEOUT_SECONDS: '5',
    ...env,
  });
}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A target owned by the agent and a certificate bound to it (issued with a key made on the agent). */
export async function certificateOnTarget(
  plane: ControlPlane,
  agentId: string,
  type: string,
  config: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  const target = await call(plane.server.api, 'POST', '/api/v1/targets', {
    name: `tgt-${Math.random().toString(36).slice(2, 8)}`,
    type,
    agent_id: agentId,
    config,
  });
  if (target.status !== 201) throw new Error(`target: ${target.status} ${target.body}`);
  const name = `svc-${Math.random().toString(36).slice(2, 8)}`;
  const cert = await call(plane.server.api, 'POST', '/api/v1/certificates', {
    name,
    common_name: `${name}.example.com`,
    sans: [`${name}.example.com`, '127.0.0.1'],
    owner_id: plane.basics.ownerId,
    team_id: plane.basics.teamId,
    issuer_id: plane.basics.issuerId,
    renewal_policy_id: plane.basics.policyId,
    agent_id: agentId,
    target_ids: [target.json.id],
    ...extra,
  });
  if (cert.status !== 201) throw new Error(`certificate: ${cert.status} ${cert.body}`);
  return { targetId: String(target.json.id), certificateId: String(cert.json.id), commonName: `${name}.example.com` };
}

export async function jobsOf(plane: ControlPlane, certificateId: string) {
  const r = await call(plane.server.api, 'GET', `/api/v1/jobs?certificate_id=${certificateId}&per_page=100`);
  return (r.json.data ?? []) as {
    id: string;
    type: string;
    status: string;
    last_error: string | null;
    verification?: { verified: boolean; actual_fingerprint: string | null } | null;
  }[];
}
