/**
 * The whole loop with real parts: a certctl server (embedded database, built-in local CA), a
 * certctl agent, and a real nginx on a loopback port. A certificate bound to an nginx target owned
 * by the agent is served by nginx within a bounded time; a forced renewal makes nginx serve a new
 * serial; a revocation lists that serial in the CRL. docs/getting-started.md walks the same path.
 *
 * The `nginx` target is the real @certctl/target-nginx connector, with validate and reload commands
 * pointed at this test's own nginx (`-c <conf>`).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { call } from '@certctl/server/testing';
import nginxTarget from '@certctl/target-nginx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAgent } from '../src/start-agent.js';
import { agentConfigFor, type ControlPlane, jobsOf, startControlPlane, waitFor } from './support/control-plane.js';

const NGINX = '/usr/sbin/nginx';
const openssl = (args: string[], input?: string) =>
  execFileSync('openssl', args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'] });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/** An nginx of our own: throwaway config, pid file and logs in `dir`, TLS on a random loopback port. */
async function startNginx(dir: string, serverName: string) {
  if (!existsSync(NGINX))
    throw new Error(
      `${NGINX} is missing: apt-get install -y nginx (node tooling/services/ensure-test-services.mjs does it)`,
    );
  const port = await freePort();
  const site = join(dir, 'site');
  mkdirSync(site, { recursive: true });
  for (const t of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, 'tmp', t), { recursive: true });
  const certPath = join(site, 'fullchain.pem');
  const keyPath = join(site, 'privkey.pem');
  openssl([
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-subj',
    '/CN=placeholder',
    '-keyout',
    keyPath,
    '-out',
    certPath,
    '-days',
    '1',
  ]);
  const conf = join(dir, 'nginx.conf');
  const errorLog = join(dir, 'error.log');
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${errorLog} warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path ${join(dir, 'tmp', 'body')};
  proxy_temp_path ${join(dir, 'tmp', 'proxy')};
  fastcgi_temp_path ${join(dir, 'tmp', 'fastcgi')};
  uwsgi_temp_path ${join(dir, 'tmp', 'uwsgi')};
  scgi_temp_path ${join(dir, 'tmp', 'scgi')};
  server {
    listen 127.0.0.1:${port} ssl;
    server_name ${serverName};
    ssl_certificate ${certPath};
    ssl_certificate_key ${keyPath};
    location / { return 200 "ok\\n"; }
  }
}
`,
  );
  execFileSync(NGINX, ['-c', conf, '-e', errorLog]);
  await waitFor('nginx pid file', async () => existsSync(join(dir, 'nginx.pid')), 10_000);
  return {
    port,
    certPath,
    keyPath,
    validate: `${NGINX} -t -q -c ${conf} -e ${errorLog}`,
    reload: `${NGINX} -s reload -c ${conf} -e ${errorLog}`,
    stop() {
      try {
        process.kill(Number(readFileSync(join(dir, 'nginx.pid'), 'utf8').trim()), 'SIGTERM');
      } catch {}
    },
  };
}

/** The serial nginx serves, read by `openssl s_client` (uppercase hex as openssl prints it). */
function servedSerial(port: number, serverName: string): string {
  const chain = openssl(['s_client', '-connect', `127.0.0.1:${port}`, '-servername', serverName], '');
  return openssl(['x509', '-noout', '-serial'], chain)
    .trim()
    .replace(/^serial=/, '');
}
const sameSerial = (openssSerial: string, apiSerial: string) =>
  openssSerial.toLowerCase().replace(/^(00)+/, '') === apiSerial.toLowerCase().replace(/^(00)+/, '');

let plane: ControlPlane;
let nginx: Awaited<ReturnType<typeof startNginx>> | undefined;

beforeAll(async () => {
  plane = await startControlPlane({ installed: true });
});
afterAll(async () => {
  nginx?.stop();
  await plane?.stop();
});

describe('end to end: server + agent + nginx', () => {
  it('nginx serves the issued certificate, a forced renewal serves a new serial, and a revocation reaches the CRL', async () => {
    const dir = mkdtempSync(join(plane.tmp, 'e2e-'));
    const name = `shop-${Date.now().toString(36)}`;
    const commonName = `${name}.example.com`;
    nginx = await startNginx(join(dir, 'nginx'), commonName);
    const { agent } = await startAgent(
      agentConfigFor(plane, join(dir, 'agent'), {
        CERTCTL_POLL_INTERVAL_SECONDS: '0.3',
        CERTCTL_HEARTBEAT_INTERVAL_SECONDS: '5',
      }),
      { manifests: [nginxTarget] },
    );
    const stop = new AbortController();
    const running = agent.run(stop.signal);
    try {
      const { agent_id } = await agent.ensureRegistered(AbortSignal.timeout(10_000));
      const target = await call(plane.server.api, 'POST', '/api/v1/targets', {
        name: `nginx-${name}`,
        type: 'nginx',
        agent_id,
        config: {
          cert_path: nginx.certPath,
          key_path: nginx.keyPath,
          validate_command: nginx.validate,
          reload_command: nginx.reload,
          post_deploy_verify: { endpoint: `127.0.0.1:${nginx.port}`, server_name: commonName },
        },
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

      // Issued on a key made by the agent, deployed, verified, served.
      const first = await waitFor(
        'nginx serving the issued certificate',
        async () => {
          const serial = await latestSerial();
          return serial && sameSerial(servedSerial(nginx!.port, commonName), serial) ? serial : undefined;
        },
        45_000,
      );
      const deployment = (await jobsOf(plane, id)).find((j) => j.type === 'deployment');
      await waitFor('deployment reported', async () =>
        (await jobsOf(plane, id)).find((j) => j.type === 'deployment' && j.status === 'succeeded'),
      );
      expect((await jobsOf(plane, id)).find((j) => j.id === deployment?.id)?.verification).toMatchObject({
        verified: true,
      });
      const chain = (await call(plane.server.api, 'GET', '/api/v1/issuers/iss-local/ca-chain')).body;
      writeFileSync(join(dir, 'ca.pem'), chain);
      const served = openssl(
        [
          's_client',
          '-connect',
          `127.0.0.1:${nginx.port}`,
          '-servername',
          commonName,
          '-CAfile',
          join(dir, 'ca.pem'),
          '-verify_return_error',
        ],
        '',
      );
      expect(served).toContain('Verify return code: 0 (ok)');

      // A forced renewal: nginx serves a new serial.
      expect((await call(plane.server.api, 'POST', `/api/v1/certificates/${id}/renew`)).status).toBe(202);
      const second = await waitFor(
        'nginx serving the renewed certificate',
        async () => {
          const serial = await latestSerial();
          return serial && serial !== first && sameSerial(servedSerial(nginx!.port, commonName), serial)
            ? serial
            : undefined;
        },
        45_000,
      );
      expect(second).not.toBe(first);

      // Revocation: the served serial is in the local CA's CRL.
      const revoked = await call(plane.server.api, 'POST', `/api/v1/certificates/${id}/revoke`, {
        reason: 'superseded',
      });
      expect(revoked.status).toBe(200);
      const crl = await plane.server.pki.inject({ method: 'GET', url: '/.well-known/pki/crl/iss-local' });
      expect(crl.statusCode).toBe(200);
      writeFileSync(join(dir, 'ca.crl'), crl.rawPayload);
      const crlText = openssl([
        'crl',
        '-inform',
        'DER',
        '-in',
        join(dir, 'ca.crl'),
        '-noout',
        '-text',
        '-CAfile',
        join(dir, 'ca.pem'),
      ]);
      expect(crlText.replace(/\s+/g, ' ')).toMatch(
        new RegExp(`Serial Number: 0*${servedSerial(nginx.port, commonName).replace(/^0+/, '')}`, 'i'),
      );
      expect(crlText).toContain('Superseded');
    } finally {
      stop.abort();
      await running;
      await agent.close();
    }
  }, 120_000);
});
