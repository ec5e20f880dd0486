/**
 * ACME orders completed per second, lego (Debian package) as the client, sequential: the same lego
 * run N times (one account, a new name each time) against certctl's ACME server (the built server as
 * a child process, trust_authenticated profile: every authorization valid) and against pebble with
 * PEBBLE_VA_ALWAYS_VALID=1 (every challenge passes without a check), in the same run. Each `lego run`
 * is a whole order: new-order, authorization, finalize with a fresh key, download.
 * Then the same with `--clients` lego processes at once (each with its own HTTP-01 port, all on the
 * one account), `--concurrent-orders` in total: the server under concurrent ACME clients, against
 * pebble under the same clients.
 * Last, the in-process load generator (lib/acme-load.ts: `--clients` acme-client clients in this
 * process, no process start per order) runs `--inprocess-orders` orders against each: the CA's own
 * throughput, which lego's per-order process start hides.
 * The server runs on PostgreSQL (`--db=postgres`, the default: the database a busy ACME front door
 * runs on) or the embedded PGlite (`--db=pglite`).
 *   --orders=20 --clients=16 --concurrent-orders=64 --inprocess-orders=400 --db=postgres
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startPebble } from '../../services/index.mjs';
import { type AcmeLoadResult, runAcmeLoad } from '../lib/acme-load.ts';
import { arg, emit } from '../lib/measure.ts';
import { createScratchDatabase } from '../lib/scratch-postgres.ts';
import { freePort, startServerProcess } from '../lib/server-process.ts';

const run = promisify(execFile);
const orders = Number(arg('orders', '20'));
const clients = Number(arg('clients', '16'));
const concurrentOrders = Number(arg('concurrent-orders', String(clients * 4)));
const db = arg('db', 'postgres');
if (db !== 'postgres' && db !== 'pglite') throw new Error(`--db must be postgres or pglite, not ${db}`);
const inProcessOrders = Number(arg('inprocess-orders', String(clients * 25)));
const API_KEY = 'bench-admin-key-0123456789abcdef';
const dir = mkdtempSync(join(tmpdir(), 'certctl-bench-acme-'));

interface Rates {
  sequential: number;
  concurrent: number;
}

async function legoOrders(directoryUrl: string, caFile: string, label: string): Promise<Rates> {
  const path = join(dir, label);
  const port = await freePort();
  const common = (port: number) => [
    '--server',
    directoryUrl,
    '--accept-tos',
    '--email',
    'bench@example.test',
    '--path',
    path,
    '--http',
    '--http.port',
    `127.0.0.1:${port}`,
  ];
  const env = { ...process.env, LEGO_CA_CERTIFICATES: caFile };
  // Warm-up: registers the account (not timed).
  await run('lego', [...common(port), '--domains', `warm.${label}.bench.test`, 'run'], { env, cwd: dir });
  let started = performance.now();
  for (let i = 0; i < orders; i++)
    await run('lego', [...common(port), '--domains', `o${i}.${label}.bench.test`, 'run'], { env, cwd: dir });
  const sequential = orders / ((performance.now() - started) / 1000);
  // Concurrent: `clients` workers, each starting its next lego run as soon as the last one finished.
  const ports = await Promise.all(Array.from({ length: clients }, () => freePort()));
  let next = 0;
  started = performance.now();
  await Promise.all(
    ports.map(async (p) => {
      for (let i = next++; i < concurrentOrders; i = next++)
        await run('lego', [...common(p), '--domains', `c${i}.${label}.bench.test`, 'run'], { env, cwd: dir });
    }),
  );
  const concurrent = concurrentOrders / ((performance.now() - started) / 1000);
  return { sequential, concurrent };
}

let certctl: Rates = { sequential: Number.NaN, concurrent: Number.NaN };
let pebble: Rates = { sequential: Number.NaN, concurrent: Number.NaN };
const failedLoad: AcmeLoadResult = { ordersPerSecond: Number.NaN, p50Ms: Number.NaN, p99Ms: Number.NaN };
let certctlInProcess = failedLoad;
let pebbleInProcess = failedLoad;
const load = (directoryUrl: string, caPem: string, label: string) =>
  runAcmeLoad({ directoryUrl, caPem, clients, orders: inProcessOrders, namePrefix: `l-${label}-` });
const scratch = db === 'postgres' ? await createScratchDatabase() : undefined;
try {
  const server = await startServerProcess({
    dataDir: join(dir, 'data'),
    databaseUrl: scratch?.url,
    apiKey: API_KEY,
    env: {
      CERTCTL_ACME_SERVER_ENABLED: 'true',
      CERTCTL_ACME_SERVER_DEFAULT_PROFILE_ID: 'bench',
      CERTCTL_RATE_LIMIT_ENABLED: 'false',
      CERTCTL_ACME_SERVER_ORDERS_PER_HOUR: '100000',
    },
  });
  try {
    const caFile = join(dir, 'data', 'tls', 'ca.pem');
    const agent = new Agent({ ca: readFileSync(caFile) });
    await new Promise<void>((resolve, reject) => {
      const body = JSON.stringify({
        id: 'bench',
        name: 'bench',
        description: 'ACME bench',
        allowed_ekus: ['serverAuth'],
      });
      const req = request(
        `${server.apiUrl}/api/v1/profiles`,
        { method: 'POST', agent, headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' } },
        (res) => {
          res.resume();
          res.on('end', () =>
            res.statusCode === 201 ? resolve() : reject(new Error(`profile: HTTP ${res.statusCode}`)),
          );
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    certctl = await legoOrders(`${server.apiUrl}/acme/directory`, caFile, 'certctl');
    certctlInProcess = await load(`${server.apiUrl}/acme/directory`, readFileSync(caFile, 'utf8'), 'certctl');
  } finally {
    await server.stop();
  }
  const pebbleCa = await startPebble({ alwaysValid: true });
  try {
    const caFile = join(dir, 'pebble-ca.pem');
    writeFileSync(caFile, pebbleCa.tlsCaPem);
    pebble = await legoOrders(pebbleCa.directoryUrl, caFile, 'pebble');
    pebbleInProcess = await load(pebbleCa.directoryUrl, pebbleCa.tlsCaPem, 'pebble');
  } finally {
    await pebbleCa.stop();
  }
} finally {
  await scratch?.drop();
  rmSync(dir, { recursive: true, force: true });
}
emit({
  db,
  orders,
  certctlOrdersPerSecond: certctl.sequential,
  pebbleOrdersPerSecond: pebble.sequential,
  concurrent: {
    clients,
    orders: concurrentOrders,
    certctlOrdersPerSecond: certctl.concurrent,
    pebbleOrdersPerSecond: pebble.concurrent,
  },
  inProcess: { clients, orders: inProcessOrders, certctl: certctlInProcess, pebble: pebbleInProcess },
});
