#!/usr/bin/env node
// `pnpm bench`: runs the benchmarks (each suite in its own process), prints a table with ratios to
// the raw signing rate measured in the same run, and writes tooling/bench/results/<name>-<time>.json.
// No assertions on time anywhere. See README.md.
//   --quick               smaller sizes (renewal 10k + 100k, 500 API requests)
//   --only=signing,api,renewal,ocsp,crl,acme,agents,memory
//   --agents=10000 --agent-seconds=60 (quick: 1000 agents, 30 s), on the first --db
//   --db=postgres,pglite  API suite dialects
//   --requests=N --concurrency=N --renewal-sizes=100000,1000000 --seconds=N (signing)
//   --crl-sizes=100000,1000000 (quick: 100000)
//   --no-build            do not (re)build the server with turbo first
//   --name=NAME           result file prefix (default: bench)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runSuite } from './lib/run-suite.mjs';
import { buildReport, formatTable, resultFileName } from './report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(`--${name}`);
const option = (name, fallback) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;

const quick = flag('quick');
const only = option('only', 'signing,api,renewal,ocsp,crl,acme,agents,memory').split(',');
const dbs = option('db', 'postgres,pglite').split(',');
const requests = option('requests', quick ? '500' : '2000');
const concurrency = option('concurrency', '32');
const renewalSizes = option('renewal-sizes', quick ? '10000,100000' : '100000,1000000');
const seconds = option('seconds', quick ? '1' : '2');
const crlSizes = option('crl-sizes', quick ? '100000' : '100000,1000000');
const name = option('name', 'bench');

function log(line) {
  process.stderr.write(`[bench] ${line}\n`);
}

const started = Date.now();
const needsServer = ['api', 'ocsp', 'acme', 'agents', 'memory'].some((s) => only.includes(s));
if (needsServer && !flag('no-build')) {
  log('building @certctl/server and its dependencies (turbo, cached when unchanged)');
  execFileSync(
    join(root, 'node_modules', '.bin', 'turbo'),
    ['run', 'build', '--filter=@certctl/server...', '--output-logs=errors-only'],
    {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
      env: { ...process.env, PATH: `${join(root, 'node_modules', '.bin')}:${process.env.PATH}` },
    },
  );
} else if (needsServer && !existsSync(join(root, 'apps', 'server', 'dist', 'cli.js'))) {
  throw new Error('apps/server/dist/cli.js is missing: run without --no-build');
}

const suites = {};
const failures = [];
const attempt = async (label, fn) => {
  const t = Date.now();
  log(`${label} ...`);
  try {
    await fn();
    log(`${label} done in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  } catch (error) {
    failures.push({ suite: label, error: String(error?.message ?? error) });
    log(`${label} FAILED: ${error?.message ?? error}`);
  }
};

if (only.includes('signing'))
  await attempt('signing', async () => (suites.signing = await runSuite('signing.ts', [`--seconds=${seconds}`])));
if (only.includes('api')) {
  suites.api = {};
  for (const db of dbs)
    await attempt(
      `api:${db}`,
      async () =>
        (suites.api[db] = await runSuite('api-issuance.ts', [
          `--db=${db}`,
          `--requests=${requests}`,
          `--concurrency=${concurrency}`,
        ])),
    );
}
if (only.includes('renewal'))
  await attempt(
    'renewal',
    async () => (suites.renewal = await runSuite('renewal-scan.ts', [`--sizes=${renewalSizes}`])),
  );

if (only.includes('ocsp'))
  await attempt('ocsp', async () => (suites.ocsp = await runSuite('ocsp.ts', [`--seconds=${quick ? 3 : 8}`])));
if (only.includes('crl'))
  await attempt('crl', async () => (suites.crl = await runSuite('crl.ts', [`--entries=${crlSizes}`])));
if (only.includes('acme'))
  await attempt(
    'acme',
    async () =>
      (suites.acme = await runSuite('acme-orders.ts', [
        `--orders=${quick ? 8 : 20}`,
        '--clients=16',
        `--concurrent-orders=${quick ? 32 : 128}`,
        `--inprocess-orders=${quick ? 160 : 800}`,
      ])),
  );
if (only.includes('memory'))
  await attempt('memory', async () => (suites.memory = await runSuite('memory.ts', [`--dbs=${dbs.join(',')}`])));
if (only.includes('agents'))
  await attempt(
    'agents',
    async () =>
      (suites.agents = await runSuite('agent-fleet.ts', [
        `--db=${dbs[0]}`,
        `--agents=${option('agents', quick ? '1000' : '10000')}`,
        '--interval=30',
        `--seconds=${option('agent-seconds', quick ? '30' : '60')}`,
      ])),
  );

const report = buildReport(suites, {
  name,
  startedAt: new Date(started).toISOString(),
  durationSeconds: (Date.now() - started) / 1000,
  machine: {
    node: process.version,
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGb: Math.round(totalmem() / 2 ** 30),
  },
  options: {
    quick,
    only,
    dbs,
    requests: Number(requests),
    concurrency: Number(concurrency),
    renewalSizes: renewalSizes.split(',').map(Number),
  },
  failures,
});
const dir = join(here, 'results');
mkdirSync(dir, { recursive: true });
const file = join(dir, resultFileName(name, new Date(started)));
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`\n${formatTable(report)}\n\n`);
if (failures.length) process.stdout.write(`failed suites: ${failures.map((f) => f.suite).join(', ')}\n`);
process.stdout.write(`result: ${file} (${report.durationSeconds.toFixed(0)} s)\n`);
process.exitCode = failures.length ? 1 : 0;
