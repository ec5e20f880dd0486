/**
 * Issuance through the API, as a client sees it: the built server runs as a child process (HTTPS,
 * iss-local, the scheduler's job runner on), this process drives it over real HTTPS with N requests in
 * flight. Each request is `POST /api/v1/certificates` with a pre-generated CSR; the server queues an
 * issuance job, its runner signs with the local CA and stores the version. The clock stops when
 * every certificate is issued and persisted (status active). Also reads the server's idle RSS after
 * boot + a few seconds.
 *   --db=postgres|pglite --requests=2000 --concurrency=32 --idle-seconds=5
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCsr, generateKeyPair } from '../../../packages/pki/src/index.ts';
import { jsonClient } from '../lib/https-json.ts';
import { arg, emit } from '../lib/measure.ts';
import { createScratchDatabase, type ScratchDatabase } from '../lib/scratch-postgres.ts';
import { memoryOf, startServerProcess } from '../lib/server-process.ts';

const dbKind = arg('db', 'postgres') as 'postgres' | 'pglite';
const requests = Number(arg('requests', '2000'));
const concurrency = Number(arg('concurrency', '32'));
const idleSeconds = Number(arg('idle-seconds', '5'));
const warmup = Math.min(100, Math.ceil(requests / 10));
const API_KEY = 'bench-admin-key-0123456789abcdef';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// CSRs first, outside any timing (one fresh P-256 key each).
const csrStarted = performance.now();
const runId = Date.now().toString(36);
const total = warmup + requests;
const csrs: { name: string; cn: string; pem: string }[] = [];
for (let i = 0; i < total; i++) {
  const name = `bench-${runId}-${i}`;
  const cn = `${name}.bench.example.com`;
  const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
  csrs.push({
    name,
    cn,
    pem: (await createCsr({ keys, subject: { CN: cn }, sans: [{ type: 'dns', value: cn }] })).pem,
  });
}
const csrSeconds = (performance.now() - csrStarted) / 1000;

const dataDir = mkdtempSync(join(tmpdir(), `certctl-bench-${dbKind}-`));
let scratch: ScratchDatabase | undefined;
if (dbKind === 'postgres') scratch = await createScratchDatabase();
const server = await startServerProcess({
  dataDir,
  apiKey: API_KEY,
  databaseUrl: scratch?.url,
  env: { CERTCTL_RATE_LIMIT_ENABLED: 'false' },
});

try {
  await sleep(idleSeconds * 1000);
  const idle = memoryOf(server.pid);

  const caPath = join(dataDir, 'tls', 'ca.pem');
  const client = jsonClient(server.apiUrl, {
    maxSockets: concurrency,
    key: API_KEY,
    ...(existsSync(caPath) && { ca: readFileSync(caPath) }),
  });
  const call = (method: string, path: string, body?: unknown) => client.call(method, path, { body });
  const must = async (method: string, path: string, body?: unknown, status = 201) => {
    const r = await call(method, path, body);
    if (r.status !== status) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json;
  };

  const team = await must('POST', '/api/v1/teams', { name: `bench-${runId}` });
  const owner = await must('POST', '/api/v1/owners', { name: 'Bench', email: 'bench@example.com', team_id: team.id });
  const policy = await must('POST', '/api/v1/renewal-policies', { name: `bench-${runId}`, renewal_window_days: 30 });
  const body = (c: (typeof csrs)[number]) => ({
    name: c.name,
    common_name: c.cn,
    owner_id: owner.id,
    team_id: team.id,
    issuer_id: 'iss-local',
    renewal_policy_id: policy.id,
    csr_pem: c.pem,
  });

  const countIssued = async () => {
    let n = 0;
    for (const status of ['active', 'expiring'])
      n += Number(
        (await must('GET', `/api/v1/certificates?status=${status}&per_page=1&team_id=${team.id}`, undefined, 200))
          .total,
      );
    const failed = Number(
      (await must('GET', `/api/v1/certificates?status=failed&per_page=1&team_id=${team.id}`, undefined, 200)).total,
    );
    return { issued: n, failed };
  };
  const waitIssued = async (target: number, deadlineMs: number) => {
    const until = performance.now() + deadlineMs;
    for (;;) {
      const c = await countIssued();
      if (c.issued + c.failed >= target || performance.now() > until) return c;
      await sleep(50);
    }
  };

  const fire = async (slice: typeof csrs) => {
    const latencies: number[] = [];
    const errors: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < slice.length) {
        const c = slice[next++]!;
        const r = await call('POST', '/api/v1/certificates', body(c));
        if (r.status === 201) latencies.push(r.ms);
        else errors.push(`${r.status} ${JSON.stringify(r.json).slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, slice.length) }, worker));
    return { latencies, errors };
  };

  // Warm-up (JIT, connection pool, CA templates), waited out before the clock starts.
  await fire(csrs.slice(0, warmup));
  await waitIssued(warmup, 60_000);

  const started = performance.now();
  const posted = await fire(csrs.slice(warmup));
  const acceptedSeconds = (performance.now() - started) / 1000;
  const done = await waitIssued(warmup + requests, 180_000);
  const issuedSeconds = (performance.now() - started) / 1000;
  const afterLoad = memoryOf(server.pid);

  // Certificate out: the last one, exported as PEM (outside the clock).
  const last = await call('GET', '/api/v1/certificates?per_page=1&status=active');
  const sample = last.json?.data?.[0]?.id
    ? await call('GET', `/api/v1/certificates/${last.json.data[0].id}/export/pem`)
    : undefined;
  const sorted = posted.latencies.sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
  client.destroy();
  emit({
    db: dbKind,
    requests,
    concurrency,
    warmup,
    csrGenerationSeconds: csrSeconds,
    bootMs: server.bootMs,
    idleRssMb: idle.rssMb,
    afterLoadRssMb: afterLoad.rssMb,
    peakRssMb: afterLoad.peakMb,
    accepted: posted.latencies.length,
    rejected: posted.errors.length,
    firstErrors: posted.errors.slice(0, 3),
    acceptedPerSecond: posted.latencies.length / acceptedSeconds,
    issued: done.issued - warmup,
    failed: done.failed,
    issuedPerSecond: (done.issued - warmup) / issuedSeconds,
    issuedSeconds,
    postLatencyMs: { p50: pct(50), p90: pct(90), p99: pct(99) },
    sampleCertificateOut: typeof sample?.json === 'string' && sample.json.includes('BEGIN CERTIFICATE'),
  });
} finally {
  await server.stop();
  await scratch?.drop();
  rmSync(dataDir, { recursive: true, force: true });
}
