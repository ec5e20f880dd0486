/**
 * A fleet of agents against one server: N agents registered (POST /api/v1/agents with the operator
 * key, `--register-concurrency` in flight over keep-alive; each gets its own API key), then every agent
 * heartbeats and polls for work once per `--interval` seconds, the agents spread evenly over the
 * interval (agent i at i/N of it), for `--seconds`. Latency of each heartbeat and work call (p50/p99)
 * and the server process's CPU over the window (utime+stime from /proc/<pid>/stat) as a fraction of
 * one core.
 *
 * Reference, same run, same client and schedule: a bare node:https server (same TLS certificate)
 * answering every request with a 300-byte JSON body. Its CPU is what the request rate itself costs on
 * this machine (TLS, HTTP parsing) with no application work, so `x bare` shows what certctl adds.
 *   --db=postgres|pglite --agents=10000 --interval=30 --seconds=60 --register-concurrency=32
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSecondsOf, type JsonClient, jsonClient, percentile } from '../lib/https-json.ts';
import { arg, emit } from '../lib/measure.ts';
import { createScratchDatabase, type ScratchDatabase } from '../lib/scratch-postgres.ts';
import { freePort, memoryOf, startServerProcess } from '../lib/server-process.ts';

const dbKind = arg('db', 'postgres') as 'postgres' | 'pglite';
const agents = Number(arg('agents', '10000'));
const intervalSeconds = Number(arg('interval', '30'));
const seconds = Number(arg('seconds', '60'));
const registerConcurrency = Number(arg('register-concurrency', '32'));
const API_KEY = 'bench-admin-key-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface FleetAgent {
  id: string;
  key: string;
}

interface Window {
  heartbeatMs: { p50: number; p99: number; max: number };
  workMs: { p50: number; p99: number; max: number };
  calls: number;
  errors: number;
  firstErrors: string[];
  requestsPerSecond: number;
  cpuCores: number;
}

/** Every agent heartbeats, then polls for work, once per interval, spread evenly; `pid` is the server measured. */
async function drive(client: JsonClient, fleet: FleetAgent[], pid: number): Promise<Window> {
  const heartbeat: number[] = [];
  const work: number[] = [];
  const errors: string[] = [];
  const cpuBefore = cpuSecondsOf(pid);
  const started = performance.now();
  const endAt = started + seconds * 1000;
  const pending: Promise<void>[] = [];
  const visit = async (a: FleetAgent) => {
    try {
      const hb = await client.call('POST', `/api/v1/agents/${a.id}/heartbeat`, {
        body: { version: 'bench', hostname: 'bench-host' },
        key: a.key,
      });
      if (hb.status === 200) heartbeat.push(hb.ms);
      else errors.push(`heartbeat ${hb.status} ${JSON.stringify(hb.json).slice(0, 200)}`);
      const w = await client.call('GET', `/api/v1/agents/${a.id}/work`, { key: a.key });
      if (w.status === 200) work.push(w.ms);
      else errors.push(`work ${w.status} ${JSON.stringify(w.json).slice(0, 200)}`);
    } catch (error) {
      errors.push(String(error));
    }
  };
  // One timer tick every 10 ms starts the agents whose turn has come, so the load is an even stream.
  const spacingMs = (intervalSeconds * 1000) / fleet.length;
  let due = 0;
  while (performance.now() < endAt) {
    const now = performance.now() - started;
    while (due * spacingMs <= now) {
      pending.push(visit(fleet[due % fleet.length]!));
      due++;
    }
    await sleep(10);
  }
  const elapsed = (performance.now() - started) / 1000;
  const cpuCores = (cpuSecondsOf(pid) - cpuBefore) / elapsed;
  await Promise.all(pending);
  const stats = (list: number[]) => {
    const sorted = list.sort((a, b) => a - b);
    return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
  };
  return {
    heartbeatMs: stats(heartbeat),
    workMs: stats(work),
    calls: heartbeat.length + work.length,
    errors: errors.length,
    firstErrors: errors.slice(0, 3),
    requestsPerSecond: (heartbeat.length + work.length) / elapsed,
    cpuCores,
  };
}

/** The reference server: node:https with the server's own certificate, a fixed JSON answer. */
async function startBareServer(dataDir: string): Promise<{ url: string; pid: number; stop(): Promise<void> }> {
  const port = await freePort();
  const script = `
    const fs = require('node:fs');
    const body = JSON.stringify({ id: 'agent_x', name: 'bench', status: 'online', pad: 'x'.repeat(220) });
    require('node:https').createServer({ key: fs.readFileSync(process.argv[1]), cert: fs.readFileSync(process.argv[2]) }, (req, res) => {
      req.resume();
      req.on('end', () => { res.writeHead(200, { 'content-type': 'application/json' }); res.end(body); });
    }).listen(${port}, '127.0.0.1', () => process.stdout.write('listening\\n'));`;
  const child = spawn(
    process.execPath,
    ['-e', script, join(dataDir, 'tls', 'server.key'), join(dataDir, 'tls', 'server.pem')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout!.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`bare server exited with ${code}`)));
  });
  return {
    url: `https://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    },
  };
}

const dataDir = mkdtempSync(join(tmpdir(), `certctl-bench-fleet-${dbKind}-`));
let scratch: ScratchDatabase | undefined;
if (dbKind === 'postgres') scratch = await createScratchDatabase();
const server = await startServerProcess({
  dataDir,
  apiKey: API_KEY,
  databaseUrl: scratch?.url,
  env: { CERTCTL_RATE_LIMIT_ENABLED: 'false' },
});
try {
  const caPath = join(dataDir, 'tls', 'ca.pem');
  const ca = existsSync(caPath) ? readFileSync(caPath) : undefined;
  const client = jsonClient(server.apiUrl, { ca, maxSockets: 256, key: API_KEY });

  // Registration: the agent protocol's own route, as a fleet rollout does it, many in flight.
  const fleet: FleetAgent[] = [];
  const registrationErrors: string[] = [];
  const registerStarted = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: registerConcurrency }, async () => {
      for (let i = next++; i < agents; i = next++) {
        const r = await client.call('POST', '/api/v1/agents', { body: { name: `bench-agent-${i}`, version: 'bench' } });
        if (r.status === 201) fleet.push({ id: r.json.id, key: r.json.api_key });
        else registrationErrors.push(`${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
      }
    }),
  );
  const registerSeconds = (performance.now() - registerStarted) / 1000;
  if (fleet.length === 0) throw new Error(`no agent registered: ${registrationErrors.slice(0, 3).join('; ')}`);

  const certctl = await drive(client, fleet, server.pid);
  const rss = memoryOf(server.pid);
  client.destroy();

  const bare = await startBareServer(dataDir);
  let reference: Window;
  try {
    const bareClient = jsonClient(bare.url, { ca, maxSockets: 256, key: API_KEY });
    reference = await drive(bareClient, fleet, bare.pid);
    bareClient.destroy();
  } finally {
    await bare.stop();
  }
  emit({
    db: dbKind,
    agents,
    intervalSeconds,
    seconds,
    registered: fleet.length,
    registrationErrors: registrationErrors.length,
    registrationsPerSecond: fleet.length / registerSeconds,
    certctl: { ...certctl, rssMb: rss.rssMb },
    bareNodeHttps: reference,
  });
} finally {
  await server.stop();
  await scratch?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
