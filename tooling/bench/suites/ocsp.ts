/**
 * OCSP answers per second, with wrk as the load generator against three servers in the same run:
 * certctl's PKI listener (the built server as a child process, its local CA in sub-CA mode loaded
 * from an openssl-made CA so both responders serve the same CA), `openssl ocsp -index ... -multi 2`
 * serving that CA, and a bare node:http server answering 1 KB (the ceiling for any Node server here).
 * certctl is measured on nonce-less GET and POST (pre-signed cache) and on POST with a nonce (signed
 * per request); openssl on POST with and without a nonce (it signs every answer).
 *   --seconds=5 --connections=64
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  buildOcspCertId,
  buildOcspRequest,
  createCsr,
  encodeOcspGetPath,
  generateKeyPair,
} from '../../../packages/pki/src/index.ts';
import { arg, emit } from '../lib/measure.ts';
import { freePort, startServerProcess } from '../lib/server-process.ts';
import { postScript, type WrkResult, wrk } from '../lib/wrk.ts';

const seconds = Number(arg('seconds', '5'));
const connections = Number(arg('connections', '64'));
const API_KEY = 'bench-admin-key-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/**
 * Whether a responder on `port` answers one whole OCSP POST. A bare connect-and-close probe would do:
 * openssl 3.0's responder worker busy-loops forever on a connection closed before its request, and
 * then serves nothing (the suite measured 0 req/s for openssl that way).
 */
const answersOcsp = (port: number, body: Uint8Array) =>
  new Promise<boolean>((resolve) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/',
        headers: { 'content-type': 'application/ocsp-request', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode === 200));
      },
    );
    req.once('error', () => resolve(false));
    req.end(body);
  });
const dir = mkdtempSync(join(tmpdir(), 'certctl-bench-ocsp-'));
const openssl = (args: string[]) =>
  execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

// One CA for both responders: P-256, made by openssl.
openssl([
  'req',
  '-x509',
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-nodes',
  '-keyout',
  'ca.key',
  '-out',
  'ca.pem',
  '-subj',
  '/CN=Bench OCSP CA',
  '-days',
  '30',
  '-addext',
  'basicConstraints=critical,CA:TRUE',
  '-addext',
  'keyUsage=critical,keyCertSign,cRLSign',
]);
chmodSync(join(dir, 'ca.key'), 0o600);
const caPem = readFileSync(join(dir, 'ca.pem'), 'utf8');

const children: { kill(): void }[] = [];
const results: Record<string, WrkResult> = {};
let serial = '';
try {
  const server = await startServerProcess({
    dataDir: join(dir, 'data'),
    apiKey: API_KEY,
    env: {
      CERTCTL_CA_CERT_PATH: join(dir, 'ca.pem'),
      CERTCTL_CA_KEY_PATH: join(dir, 'ca.key'),
      CERTCTL_OCSP_RATE_LIMIT_PER_IP_MIN: '0',
      CERTCTL_RATE_LIMIT_ENABLED: 'false',
    },
  });
  children.push({ kill: () => void server.stop() });
  const agent = new Agent({ keepAlive: true, ca: readFileSync(join(dir, 'data', 'tls', 'ca.pem')) });
  // biome-ignore lint/suspicious/noExplicitAny: API JSON, read loosely by a benchmark
  const call = (method: string, path: string, body?: unknown): Promise<any> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        `${server.apiUrl}${path}`,
        {
          method,
          agent,
          headers: { authorization: `Bearer ${API_KEY}`, ...(payload && { 'content-type': 'application/json' }) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString() || '{}')));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  const team = await call('POST', '/api/v1/teams', { name: 'bench-ocsp' });
  const owner = await call('POST', '/api/v1/owners', { name: 'Bench', email: 'bench@example.com', team_id: team.id });
  const policy = await call('POST', '/api/v1/renewal-policies', { name: 'bench-ocsp', renewal_window_days: 30 });
  const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
  const csr = await createCsr({
    keys,
    subject: { CN: 'ocsp.bench.example' },
    sans: [{ type: 'dns', value: 'ocsp.bench.example' }],
  });
  const cert = await call('POST', '/api/v1/certificates', {
    name: 'ocsp-bench',
    common_name: 'ocsp.bench.example',
    owner_id: owner.id,
    team_id: team.id,
    issuer_id: 'iss-local',
    renewal_policy_id: policy.id,
    csr_pem: csr.pem,
  });
  for (let i = 0; i < 200; i++) {
    const current = await call('GET', `/api/v1/certificates/${cert.id}`);
    if (current.status === 'active') break;
    await sleep(50);
  }
  const versions = await call('GET', `/api/v1/certificates/${cert.id}/versions`);
  serial = String(versions.data?.[0]?.serial ?? '');
  if (!serial) throw new Error(`the bench certificate was not issued: ${JSON.stringify(versions)}`);

  const certId = buildOcspCertId({ issuerCertificate: caPem, serial });
  const plain = buildOcspRequest({ certIds: [certId] });
  const withNonce = buildOcspRequest({ certIds: [certId], nonce: true });
  const base = `${server.pkiUrl}/.well-known/pki/ocsp/iss-local`;
  const load = { seconds, connections };
  results.certctlGetCached = await wrk(`${base}/${encodeOcspGetPath(plain)}`, load);
  results.certctlPostCached = await wrk(base, {
    ...load,
    script: postScript(dir, 'plain', plain, 'application/ocsp-request'),
  });
  results.certctlPostNonce = await wrk(base, {
    ...load,
    script: postScript(dir, 'nonce', withNonce, 'application/ocsp-request'),
  });
  await server.stop();

  // openssl's responder over the same CA and serial, two worker processes.
  const expiry = `${new Date(Date.now() + 20 * 86_400_000).toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
  writeFileSync(
    join(dir, 'index.txt'),
    `V\t${expiry}\t\t${(serial.length % 2 ? `0${serial}` : serial).toUpperCase()}\tunknown\t/CN=ocsp.bench.example\n`,
  );
  // openssl 3.0's responder busy-loops on connections a client closed mid-request (wrk does at the end
  // of a run), so each run gets a fresh responder, killed with its -multi workers afterwards.
  const opensslRun = async (script: string) => {
    const opensslPort = await freePort();
    const responder = spawn(
      'openssl',
      [
        'ocsp',
        '-index',
        'index.txt',
        '-port',
        String(opensslPort),
        '-rsigner',
        'ca.pem',
        '-rkey',
        'ca.key',
        '-CA',
        'ca.pem',
        '-multi',
        '2',
        '-nmin',
        '60',
        '-ignore_err',
      ],
      { cwd: dir, stdio: 'ignore' },
    );
    try {
      for (let i = 0; i < 50 && !(await answersOcsp(opensslPort, plain)); i++) await sleep(100);
      return await wrk(`http://127.0.0.1:${opensslPort}/`, { ...load, script });
    } finally {
      spawnSync('pkill', ['-KILL', '-P', String(responder.pid)]);
      responder.kill('SIGKILL');
    }
  };
  results.opensslPostPlain = await opensslRun(postScript(dir, 'plain', plain, 'application/ocsp-request'));
  results.opensslPostNonce = await opensslRun(postScript(dir, 'nonce', withNonce, 'application/ocsp-request'));

  // The ceiling: node:http answering 1 KB, nothing else.
  const nodePort = await freePort();
  const bare = spawn(
    process.execPath,
    [
      '-e',
      `const b=Buffer.alloc(1024,120);require('node:http').createServer((q,s)=>{s.writeHead(200,{'content-type':'application/octet-stream','content-length':1024});s.end(b)}).listen(${nodePort},'127.0.0.1')`,
    ],
    { stdio: 'ignore' },
  );
  children.push(bare);
  await sleep(500);
  results.bareNodeHttp = await wrk(`http://127.0.0.1:${nodePort}/`, load);
  bare.kill();
} finally {
  for (const child of children) child.kill();
  rmSync(dir, { recursive: true, force: true });
}

emit({
  seconds,
  connections,
  serial,
  ...Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.requestsPerSecond])),
  errors: results,
});
