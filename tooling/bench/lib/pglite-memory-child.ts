/**
 * One database open in a fresh process, for the memory suite: opens the server's database the way the
 * server does (`openDatabase`, migrations included) and prints its own RSS and peak RSS (VmHWM) as a
 * JSON line, idle `--idle-ms` after the open. Not a benchmark on its own; memory.ts starts it.
 *   --data-dir=DIR (PGlite) | --url=postgres://... ; --idle-ms=3000
 *   --pglite-options='{"initialMemory":..., "startParams":[...]}' opens PGlite itself with these
 *   options instead (to compare settings side by side; the server's own choice is the default path).
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { openDatabase } from '../../../apps/server/src/db/open-database.ts';
import { arg } from './measure.ts';
import { memoryOf } from './server-process.ts';

const url = arg('url', '');
const dataDir = arg('data-dir', '');
const idleMs = Number(arg('idle-ms', '3000'));
const before = memoryOf(process.pid);
const started = performance.now();
const pgliteOptions = arg('pglite-options', '');
// PGlite is the server's dependency (tooling declares none): resolve it from there.
const { PGlite } = (await import(
  pathToFileURL(
    createRequire(new URL('../../../apps/server/package.json', import.meta.url)).resolve('@electric-sql/pglite'),
  ).href
)) as typeof import('@electric-sql/pglite');
const db = await openDatabase({
  ...(url
    ? { url }
    : pgliteOptions
      ? { pglite: await PGlite.create(dataDir, JSON.parse(pgliteOptions)) }
      : { dataDir }),
  migrate: arg('migrate', 'true') !== 'false',
});
const openMs = performance.now() - started;
const afterOpen = memoryOf(process.pid);
await new Promise((r) => setTimeout(r, idleMs));
// No forced GC by default: the server does not force one either, so this is what it would show.
// --gc=true (with node --expose-gc) shows what is garbage and would go at the next major GC.
if (arg('gc', 'false') === 'true') globalThis.gc?.();
const idle = memoryOf(process.pid);
await db.close();
process.stdout.write(
  `MEMORY ${JSON.stringify({ baseRssMb: before.rssMb, openMs, afterOpenRssMb: afterOpen.rssMb, idleRssMb: idle.rssMb, peakRssMb: idle.peakMb })}\n`,
);
