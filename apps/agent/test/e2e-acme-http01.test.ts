/**
 * ACME certificates for hosts the server cannot serve from: an issuer with `http_served_by: agent`
 * against a real pebble. The server gives the order's HTTP-01 tokens to the agent that owns the
 * certificate's target; the real agent writes them under CERTCTL_HTTP01_WEBROOT, where a plain web
 * server on the port pebble validates against serves them (what nginx does on the target host);
 * the server then has pebble validate, stores the certificate, and the agent deploys it and removes
 * the files. Failures (no webroot, tokens not reachable by the CA, an agent that never answers) end
 * in a failed job with the reason, and no file stays behind.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { call } from '@certctl/server/testing';
import { freePort, type RunningPebble, startPebble } from '@certctl/tooling/services';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../src/start-agent.js';
import {
  agentConfigFor,
  type ControlPlane,
  certificateOnTarget,
  jobsOf,
  startControlPlane,
  waitFor,
} from './support/control-plane.js';
import { createFileTargetManifest } from './support/file-target.js';

const target = createFileTargetManifest('file');
const openssl = (args: string[], cwd: string) =>
  execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

/** The web server of the target host: serves `<root>/.well-known/acme-challenge/<token>` on the port pebble connects to. */
async function serveWebroot(root: string, port: number): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!/^\/\.well-known\/acme-challenge\/[A-Za-z0-9_-]+$/.test(path)) return res.writeHead(404).end();
    const body = await readFile(join(root, path)).catch(() => undefined);
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

const challengeFiles = (webroot: string) => {
  try {
    return readdirSync(join(webroot, '.well-known', 'acme-challenge'));
  } catch {
    return [];
  }
};

let pebble: RunningPebble;
let plane: ControlPlane;
let web: Server;
let webroot: string;

beforeAll(async () => {
  const port = await freePort();
  pebble = await startPebble({ httpPort: port });
  plane = await startControlPlane({
    installed: true,
    env: {
      CERTCTL_ACME_DIRECTORY_URL: pebble.directoryUrl,
      CERTCTL_ACME_EMAIL: 'ops@example.com',
      CERTCTL_ACME_HTTP_SERVED_BY: 'agent',
      CERTCTL_ACME_CA_BUNDLE_PATH: pebble.tlsCaPath,
      // pebble listens on loopback: the operator's explicit allowance.
      CERTCTL_NETWORK_ALLOW: '127.0.0.1',
      CERTCTL_AGENT_HTTP01_TIMEOUT: '5s',
      CERTCTL_SCHEDULER_JOB_PROCESSOR_INTERVAL: '250ms',
    },
  });
  webroot = mkdtempSync(join(plane.tmp, 'webroot-'));
  web = await serveWebroot(webroot, port);
}, 180_000);
afterAll(async () => {
  await new Promise((resolve) => web?.close(resolve));
  await plane?.stop();
  await pebble?.stop();
});

/** An agent with its own state dir and a file target; a certificate from iss-acme (DNS names only) bound to it. */
async function agentWithCertificate(env: Record<string, string>) {
  const dir = mkdtempSync(join(plane.tmp, 'acme-agent-'));
  const { agent } = await startAgent(agentConfigFor(plane, join(dir, 'state'), env), {
    manifests: [target.manifest],
  });
  const { agent_id } = await agent.ensureRegistered(AbortSignal.timeout(10_000));
  mkdirSync(join(dir, 'site'));
  const certPath = join(dir, 'site', 'cert.pem');
  const name = `acme-${Math.random().toString(36).slice(2, 8)}.example.com`;
  const { certificateId } = await certificateOnTarget(
    plane,
    agent_id,
    'file',
    { cert_path: certPath, key_path: join(dir, 'site', 'key.pem') },
    { issuer_id: 'iss-acme', common_name: name, sans: [name, `www.${name}`] },
  );
  const poll = () => agent.pollOnce(AbortSignal.timeout(30_000));
  return { agent, agentId: agent_id, dir, certPath, certificateId, name, poll };
}

const issuanceJob = async (certificateId: string) =>
  (await jobsOf(plane, certificateId)).find((j) => j.type === 'issuance' || j.type === 'renewal');
const waitingForAgent = (certificateId: string) =>
  waitFor(
    'the issuance job to wait for the agent',
    async () => {
      const job = await issuanceJob(certificateId);
      return job?.status === 'waiting_on_ca' && job.last_error?.startsWith('waiting for agent') ? job : undefined;
    },
    30_000,
  );
const finished = (certificateId: string) =>
  waitFor(
    'the issuance job to finish',
    async () => {
      const job = await issuanceJob(certificateId);
      return job && ['succeeded', 'failed'].includes(job.status) ? job : undefined;
    },
    60_000,
  );

describe('ACME HTTP-01 served by the agent (http_served_by: agent) against pebble', () => {
  it('the agent serves the tokens from its webroot, pebble validates, the certificate is deployed and the files are gone', async () => {
    const a = await agentWithCertificate({ CERTCTL_HTTP01_WEBROOT: webroot });
    try {
      await a.poll(); // key and CSR on the agent
      const waiting = await waitingForAgent(a.certificateId);
      expect(waiting.last_error).toContain(a.agentId);

      const work = await call(plane.server.api, 'GET', `/api/v1/agents/${a.agentId}/work`);
      const item = (
        work.json.jobs as { type: string; http01_tokens?: { token: string; key_authorization: string }[] }[]
      ).find((j) => j.type === 'http01');
      expect(item?.http01_tokens).toHaveLength(2);

      await a.poll(); // writes the tokens and says served; the server has pebble validate
      // The files are there, with the key authorizations, until the challenge is over.
      for (const t of item?.http01_tokens ?? [])
        expect(readFileSync(join(webroot, '.well-known', 'acme-challenge', t.token), 'utf8')).toBe(t.key_authorization);

      const job = await finished(a.certificateId);
      expect(job.status, job.last_error ?? '').toBe('succeeded');
      await a.poll(); // deploys, and removes the files of the finished challenge
      expect(challengeFiles(webroot)).toEqual([]);
      const deployment = (await jobsOf(plane, a.certificateId)).find((j) => j.type === 'deployment');
      expect(deployment?.status, deployment?.last_error ?? '').toBe('succeeded');

      // The deployed certificate is pebble's, for both names, and openssl verifies it to pebble's root.
      const deployed = readFileSync(a.certPath, 'utf8');
      writeFileSync(join(a.dir, 'root.pem'), await pebble.rootPem());
      writeFileSync(join(a.dir, 'chain.pem'), await pebble.issuingChainPem());
      writeFileSync(join(a.dir, 'leaf.pem'), deployed);
      expect(
        openssl(
          ['verify', '-CAfile', 'root.pem', '-untrusted', 'chain.pem', '-purpose', 'sslserver', 'leaf.pem'],
          a.dir,
        ),
      ).toContain('leaf.pem: OK');
      const sans = openssl(['x509', '-in', 'leaf.pem', '-noout', '-ext', 'subjectAltName'], a.dir);
      expect(sans).toContain(`DNS:${a.name}`);
      expect(sans).toContain(`DNS:www.${a.name}`);

      const audit = await call(plane.server.api, 'GET', '/api/v1/audit?action=http01_challenge_served');
      expect((audit.json.data as { resource_id: string }[]).map((e) => e.resource_id)).toContain(a.certificateId);
    } finally {
      await a.agent.close();
    }
  }, 120_000);

  it('an agent without CERTCTL_HTTP01_WEBROOT fails the job with that reason', async () => {
    const a = await agentWithCertificate({});
    try {
      await a.poll();
      await waitingForAgent(a.certificateId);
      await a.poll(); // reports why it cannot serve
      const job = await finished(a.certificateId);
      expect(job.status).toBe('failed');
      expect(job.last_error).toMatch(/could not serve the HTTP-01 tokens.*CERTCTL_HTTP01_WEBROOT/);
      const certificate = await call(plane.server.api, 'GET', `/api/v1/certificates/${a.certificateId}`);
      expect(certificate.json.status).toBe('failed');
    } finally {
      await a.agent.close();
    }
  }, 120_000);

  it("tokens the CA cannot reach fail the job with pebble's reason, and the agent removes them", async () => {
    const unserved = mkdtempSync(join(plane.tmp, 'unserved-webroot-'));
    const a = await agentWithCertificate({ CERTCTL_HTTP01_WEBROOT: unserved });
    try {
      await a.poll();
      await waitingForAgent(a.certificateId);
      await a.poll();
      expect(challengeFiles(unserved)).toHaveLength(2);
      const job = await finished(a.certificateId);
      expect(job.status).toBe('failed');
      expect(job.last_error).toMatch(/http-01 validation of .*example\.com failed/);
      await a.poll();
      expect(challengeFiles(unserved)).toEqual([]);
    } finally {
      await a.agent.close();
    }
  }, 120_000);

  it('an agent that does not answer before CERTCTL_AGENT_HTTP01_TIMEOUT fails the job', async () => {
    const a = await agentWithCertificate({ CERTCTL_HTTP01_WEBROOT: webroot });
    try {
      await a.poll(); // the CSR; then the agent goes quiet
      await waitingForAgent(a.certificateId);
      const job = await finished(a.certificateId);
      expect(job.status).toBe('failed');
      expect(job.last_error).toMatch(new RegExp(`agent ${a.agentId} did not serve the HTTP-01 tokens .* by `));
      // Back online, it is given nothing to serve and writes nothing.
      const work = await call(plane.server.api, 'GET', `/api/v1/agents/${a.agentId}/work`);
      expect((work.json.jobs as { type: string }[]).filter((j) => j.type === 'http01')).toEqual([]);
      await a.poll();
      expect(challengeFiles(webroot)).toEqual([]);
    } finally {
      await a.agent.close();
    }
  }, 120_000);
});
