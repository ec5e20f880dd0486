#!/usr/bin/env node
// The README's main command after setup: builds the server and what it composes, then runs it on
// its embedded database (PGlite in ./data) with the local CA. Arguments pass through to the server.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const serverDir = join(root, 'apps/server');
if (!existsSync(join(serverDir, 'package.json'))) {
  console.error('[certctl] apps/server is not part of this checkout yet; run `npm test` to exercise the packages.');
  process.exit(1);
}
const bin = join(root, 'node_modules/.bin');
// A first build takes a minute or two: say so, and print one line per package as it builds.
console.error(
  '[certctl] building the server, the packages it composes and the web dashboard (a minute or two the first time) ...',
);
// The dashboard (@certctl/web) is served by the server at `/` from the installed package's dist.
execFileSync(
  join(bin, 'turbo'),
  ['run', 'build', '--filter=@certctl/server...', '--filter=@certctl/web', '--output-logs=hash-only'],
  {
    stdio: 'inherit',
    cwd: root,
  },
);
console.error('[certctl] build done; starting certctl-server');
const child = spawn(process.execPath, [join(serverDir, 'dist/cli.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
