/**
 * Agent-run network scans with real parts: a certctl server hands a scan of a loopback /29 to a
 * real certctl agent, which probes three real TLS servers (nginx, HAProxy, Postfix with STARTTLS)
 * with the same guard rails the server uses and reports; the findings land in the discovery triage.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { createCertificateAuthority, exportPrivateKeyPem } from '@certctl/pki';
import { call } from '@certctl/server/testing';
import {
  freePort,
  type RunningTlsServer,
  startHaproxyTls,
  startNginxTls,
  startPostfixTls,
} from '@certctl/tooling/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CertctlAgent } from '../src/certctl-agent.js';
import { startAgent } from '../src/start-agent.js';
import { agentConfigFor, type ControlPlane, startControlPlane } from './support/control-plane.js';

const servers: RunningTlsServer[] = [];
const served: { endpoint: string; fingerprint: string }[] = [];
let plane: ControlPlane;
let agent: CertctlAgent;
let agentId = '';
let tlsPort = 0;
const api = () => plane.server.api;

/** The SHA-256 fingerprint as openssl computes it (lowercase hex, no colons). */
const opensslFingerprint = (pem: string) =>
  execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { encoding: 'utf8', input: pem })
    .split('=')[1]
    ?.trim()
    .replaceAll(':', '')
    .toLowerCase();

beforeAll(async () => {
  plane = await startControlPlane();
  tlsPort = await freePort();
  const plan = [
    { start: startNginxTls, cn: 'nginx.agent-scan.example.test', address: '127.0.0.9', port: tlsPort },
    { start: startHaproxyTls, cn: 'haproxy.agent-scan.example.test', address: '127.0.0.10', port: tlsPort },
    { start: startPostfixTls, cn: 'mail.agent-scan.example.test', address: '127.0.0.11', port: 587 },
  ];
  for (const { start, cn, address, port } of plan) {
    const ca = await createCertificateAuthority({ subject: { CN: cn } });
    servers.push(
      await start({ address, port, certPem: ca.certificate.pem, keyPem: exportPrivateKeyPem(ca.keys.privateKey) }),
    );
    served.push({ endpoint: `${address}:${port}`, fingerprint: opensslFingerprint(ca.certificate.pem) ?? '' });
  }
  const dir = mkdtempSync(join(plane.tmp, 'agent-'));
  ({ agent } = await startAgent(agentConfigFor(plane, join(dir, 'state'))));
  agentId = (await agent.ensureRegistered(AbortSignal.timeout(10_000))).agent_id;
}, 180_000);
afterAll(async () => {
  await agent?.close();
  for (const server of servers) await server.stop();
  await plane?.stop();
});

const scanNow = async (targetId: string) => {
  const started = await call(api(), 'POST', `/api/v1/network-scan-targets/${targetId}/scan`);
  expect(started.status).toBe(202);
  expect(started.json).toMatchObject({ status: 'running', agent_id: agentId, handed_out_at: null });
  return String(started.json.id);
};
const scanOf = async (targetId: string, scanId: string) =>
  (await call(api(), 'GET', `/api/v1/network-scan-targets/${targetId}/scans/${scanId}`)).json;

describe('network scans run by an agent', () => {
  let targetId = '';

  it('the agent refuses loopback until an admin allows it, and says what it tried', async () => {
    const created = await call(api(), 'POST', '/api/v1/network-scan-targets', {
      name: 'agent loopback lab',
      cidrs: ['127.0.0.8/29'],
      ports: [tlsPort, 587],
      timeout_ms: 3000,
      agent_id: agentId,
      // Scanned only when the test asks, so the scheduler's pass cannot add a scan of its own.
      enabled: false,
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ agent_id: agentId, agent_group_id: null });
    targetId = String(created.json.id);
    const scanId = await scanNow(targetId);
    // Handed out, not run by the server: it waits for the agent.
    const again = await call(api(), 'POST', `/api/v1/network-scan-targets/${targetId}/scan`);
    expect(again.status).toBe(409);
    expect(await scanOf(targetId, scanId)).toMatchObject({ status: 'running' });

    await agent.pollOnce(AbortSignal.timeout(30_000));
    const scan = await scanOf(targetId, scanId);
    expect(scan).toMatchObject({ status: 'succeeded', endpoints_probed: 0, certificates_found: 0, agent_id: agentId });
    expect(scan.handed_out_at).not.toBeNull();
    expect(scan.skipped).toEqual([
      {
        reason: 'loopback address',
        count: 8,
        examples: ['127.0.0.8', '127.0.0.9', '127.0.0.10', '127.0.0.11', '127.0.0.12'],
      },
    ]);
    expect(scan.summary).toMatch(/^found no certificate; probed no endpoint; 8 skipped \(loopback address/);
  });

  it('discovers exactly the certificates of nginx, HAProxy and Postfix (STARTTLS) into the triage, once', async () => {
    expect((await call(api(), 'PUT', '/api/v1/network-scan/settings', { allow_loopback: true })).status).toBe(200);
    const scanId = await scanNow(targetId);
    await agent.pollOnce(AbortSignal.timeout(60_000));
    const scan = await scanOf(targetId, scanId);
    expect(scan).toMatchObject({
      status: 'succeeded',
      endpoints_probed: 16,
      certificates_found: 3,
      new_certificates: 3,
      outcomes: { found: 3, refused: 13, timeout: 0, failed: 0 },
      agent_id: agentId,
    });
    expect(scan.summary).toMatch(/^found 3 certificates; probed 16 endpoints: 8 addresses/);

    const findings = (await call(api(), 'GET', '/api/v1/discovered-certificates?source=network&per_page=100')).json
      .data as { source_path: string; fingerprint_sha256: string; status: string; agent_id: string | null }[];
    expect(findings.map((f) => [f.source_path, f.fingerprint_sha256]).sort()).toEqual(
      served.map((s) => [s.endpoint, s.fingerprint]).sort(),
    );
    expect(findings.every((f) => f.status === 'unmanaged')).toBe(true);

    // The same endpoints again: deduplicated by fingerprint and endpoint, nothing new.
    const rescanId = await scanNow(targetId);
    await agent.pollOnce(AbortSignal.timeout(60_000));
    expect(await scanOf(targetId, rescanId)).toMatchObject({ certificates_found: 3, new_certificates: 0 });
    const history = await call(api(), 'GET', `/api/v1/network-scan-targets/${targetId}/scans`);
    expect(history.json.total).toBe(3);
  });

  it('a report for a scan already recorded is refused, and a target may name a group instead', async () => {
    const scans = (await call(api(), 'GET', `/api/v1/network-scan-targets/${targetId}/scans`)).json.data as {
      id: string;
    }[];
    const late = await call(api(), 'POST', `/api/v1/agents/${agentId}/network-scans/${scans[0]?.id}`, {
      status: 'succeeded',
      endpoints_probed: 0,
      outcomes: { found: 0, refused: 0, timeout: 0, failed: 0 },
      findings: [],
      summary: 'late',
      duration_ms: 1,
    });
    expect(late.status).toBe(409);

    const both = await call(api(), 'PUT', `/api/v1/network-scan-targets/${targetId}`, {
      agent_id: agentId,
      agent_group_id: 'agrp-nope',
    });
    expect(both.status).toBe(400);
    const group = await call(api(), 'POST', '/api/v1/agent-groups', {
      name: 'scanners',
      include_agent_ids: [agentId],
    });
    expect(group.status).toBe(201);
    const moved = await call(api(), 'PUT', `/api/v1/network-scan-targets/${targetId}`, {
      agent_group_id: group.json.id,
      hosts: ['127.0.0.9'],
      cidrs: [],
      ports: [tlsPort],
    });
    expect(moved.json).toMatchObject({ agent_id: null, agent_group_id: group.json.id });
    const scanId = await scanNow(targetId);
    await agent.pollOnce(AbortSignal.timeout(30_000));
    expect(await scanOf(targetId, scanId)).toMatchObject({
      status: 'succeeded',
      endpoints_probed: 1,
      certificates_found: 1,
      agent_id: agentId,
    });
  });
});
