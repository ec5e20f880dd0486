/**
 * CRL generation at scale: the local CA connector's generateCrl (what the server calls after reading
 * the revocations) builds and signs a CRL with N entries, P-256 root; best of 3. Beside it, in the same
 * run, `openssl ca -gencrl` over an index with the same N revoked serials (loading the index included,
 * as that is how openssl works). Several sizes in one run, each its own entry in `sizes`; sizes of a
 * million or more are built twice (best of 2) to keep the run short.
 *   --entries=100000,1000000
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createConnectorContext, createConsoleJsonLogger } from '../../../packages/connector-utils/src/index.ts';
import { parseConfig } from '../../../packages/core/src/index.ts';
import { createLocalIssuer } from '../../../packages/issuer-local/src/index.ts';
import { localConfigSchema } from '../../../packages/issuer-local/src/local-config.ts';
import { arg, emit } from '../lib/measure.ts';

const sizes = arg('entries', '100000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'certctl-bench-crl-'));
const results: { entries: number; bestMs: number; timingsMs: number[]; bytes: number; opensslGencrlMs: number }[] = [];
for (const entries of sizes) results.push(await measure(entries, join(dir, String(entries))));
rmSync(dir, { recursive: true, force: true });
// The first size stays at the top level (the shape before several sizes existed).
emit({ ...results[0], sizes: results });

async function measure(entries: number, dir: string) {
  mkdirSync(dir, { recursive: true });
  const ctx = createConnectorContext({
    connector: 'issuer-local',
    logger: createConsoleJsonLogger({ level: 'error' }),
    tmpDir: dir,
    environment: { app: 'bench', instanceId: 'iss-bench', pkiHttpBaseUrl: 'http://127.0.0.1:8080' },
  });
  const issuer = createLocalIssuer(parseConfig(localConfigSchema, {}, 'issuer-local'), ctx);
  await issuer.start();
  const now = new Date();
  // One random buffer for every serial (a randomBytes call per entry costs seconds at a million).
  const random = randomBytes(16 * entries);
  const revoked = Array.from({ length: entries }, (_, i) => ({
    serial: random.toString('hex', i * 16, i * 16 + 16).replace(/^0+/, '') || '1',
    revokedAt: new Date(now.getTime() - (i % 86_400) * 1000),
    reason: 'keyCompromise' as const,
  }));
  const timings: number[] = [];
  let bytes = 0;
  const rounds = entries >= 1_000_000 ? 2 : 3;
  for (let round = 0; round < rounds; round++) {
    const started = performance.now();
    const der = await issuer.generateCrl({
      entries: revoked,
      crlNumber: BigInt(round + 1),
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 86_400_000),
    });
    timings.push(performance.now() - started);
    bytes = der.length;
  }

  // openssl ca -gencrl over the same serials.
  const ca = join(dir, 'openssl-ca');
  mkdirSync(ca);
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: ca, stdio: ['ignore', 'pipe', 'pipe'] });
  run([
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
    '/CN=Bench CRL CA',
    '-days',
    '30',
  ]);
  const stamp = (d: Date) => `${d.toISOString().replace(/[-:T]/g, '').slice(2, 14)}Z`;
  const expiry = stamp(new Date(now.getTime() + 30 * 86_400_000));
  writeFileSync(
    join(ca, 'index.txt'),
    revoked
      .map(
        (r) =>
          `R\t${expiry}\t${stamp(r.revokedAt)},keyCompromise\t${(r.serial.length % 2 ? `0${r.serial}` : r.serial).toUpperCase()}\tunknown\t/CN=x${r.serial}`,
      )
      .map((line) => `${line}\n`)
      .join(''),
  );
  writeFileSync(join(ca, 'crlnumber'), '01\n');
  writeFileSync(
    join(ca, 'ca.cnf'),
    `[ca]\ndefault_ca=bench\n[bench]\ndatabase=index.txt\ncrlnumber=crlnumber\ncertificate=ca.pem\nprivate_key=ca.key\ndefault_md=sha256\ndefault_crl_days=1\nunique_subject=no\n`,
  );
  const opensslStarted = performance.now();
  run(['ca', '-config', 'ca.cnf', '-gencrl', '-out', 'crl.pem', '-batch']);
  const opensslMs = performance.now() - opensslStarted;
  await issuer.stop?.();
  return { entries, bestMs: Math.min(...timings), timingsMs: timings, bytes, opensslGencrlMs: opensslMs };
}
