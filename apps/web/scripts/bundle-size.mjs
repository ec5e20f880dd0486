#!/usr/bin/env node
// Prints the dashboard's first-load size: index.html and every script and style it loads (its module
// preloads included), gzipped, and writes dist/bundle-size.json for the test that holds it under the aim.
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

export const FIRST_LOAD_AIM_BYTES = 400 * 1024;

const dist = resolve(import.meta.dirname, '../dist');
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const referenced = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
const files = [
  { name: 'index.html', bytes: Buffer.from(html) },
  ...referenced.map((name) => ({ name, bytes: readFileSync(join(dist, name)) })),
];
const rows = files.map((f) => ({ name: f.name, raw: f.bytes.length, gzip: gzipSync(f.bytes, { level: 9 }).length }));
const total = rows.reduce((sum, r) => ({ raw: sum.raw + r.raw, gzip: sum.gzip + r.gzip }), { raw: 0, gzip: 0 });
const kb = (n) => `${(n / 1024).toFixed(1)} KB`;
for (const r of rows) console.log(`  ${r.name.padEnd(40)} ${kb(r.raw).padStart(10)} ${kb(r.gzip).padStart(10)} gzip`);
console.log(
  `[certctl/web] first load: ${kb(total.gzip)} gzipped (${kb(total.raw)} raw) in ${rows.length} files; aim ${kb(FIRST_LOAD_AIM_BYTES)}`,
);
writeFileSync(
  join(dist, 'bundle-size.json'),
  `${JSON.stringify({ files: rows, total, aimGzipBytes: FIRST_LOAD_AIM_BYTES }, null, 2)}\n`,
);
if (total.gzip > FIRST_LOAD_AIM_BYTES) {
  console.error('[certctl/web] the first load is over the aim');
  process.exitCode = 1;
}
