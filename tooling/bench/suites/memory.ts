/**
 * The server's memory on each database, as a user starts it: the built server as a child process on a
 * fresh data directory (first start: PGlite runs initdb and every migration), `--idle-seconds` after it
 * printed its listen line: VmRSS (idle) and VmHWM (the peak of that first start), from /proc. Then
 * stopped and started again on the same data (a restart: nothing to migrate). Reference in the same
 * run: a bare `node -e` process holding a timer, whose RSS is what Node itself costs on this machine.
 *   --dbs=pglite,postgres --idle-seconds=5
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, emit } from '../lib/measure.ts';
import { createScratchDatabase, type ScratchDatabase } from '../lib/scratch-postgres.ts';
import { memoryOf, startServerProcess } from '../lib/server-process.ts';

const dbs = arg('dbs', 'pglite,postgres').split(',') as ('pglite' | 'postgres')[];
const idleSeconds = Number(arg('idle-seconds', '5'));
const API_KEY = 'bench-admin-key-0123456789abcdef';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Start {
  bootMs: number;
  idleRssMb: number;
  peakRssMb: number;
}

async function bareNodeRssMb(): Promise<number> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); process.stdout.write("up\\n")'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise((r) => child.stdout!.once('data', r));
  await sleep(idleSeconds * 1000);
  const { rssMb } = memoryOf(child.pid!);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return rssMb;
}

async function measure(db: 'pglite' | 'postgres'): Promise<{ firstStart: Start; restart: Start }> {
  const dataDir = mkdtempSync(join(tmpdir(), `certctl-bench-memory-${db}-`));
  let scratch: ScratchDatabase | undefined;
  try {
    if (db === 'postgres') scratch = await createScratchDatabase();
    const start = async (): Promise<Start> => {
      const server = await startServerProcess({ dataDir, apiKey: API_KEY, databaseUrl: scratch?.url });
      try {
        await sleep(idleSeconds * 1000);
        const m = memoryOf(server.pid);
        return { bootMs: server.bootMs, idleRssMb: m.rssMb, peakRssMb: m.peakMb };
      } finally {
        await server.stop();
      }
    };
    return { firstStart: await start(), restart: await start() };
  } finally {
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const bareNodeRss = await bareNodeRssMb();
const result: Record<string, unknown> = { idleSeconds, bareNodeRssMb: bareNodeRss };
for (const db of dbs) result[db] = await measure(db);
emit(result);
