#!/usr/bin/env node
// The README's main command after setup: builds the server and what it composes, then runs it on
// its embedded database (PGlite in ./data) with the local CA. Arguments pass through to the server.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { countBuildTasks, createBuildProgress } from './build-progress.mjs';

const root = resolve(import.meta.dirname, '../..');
const serverDir = join(root, 'apps/server');
if (!existsSync(join(serverDir, 'package.json'))) {
  console.error('[certctl] apps/server is not part of this checkout yet; run `npm test` to exercise the packages.');
  process.exit(1);
}
const turbo = join(root, 'node_modules/.bin/turbo');
// The dashboard (@certctl/web) is served by the server at `/` from the installed package's dist.
const filters = ['--filter=@certctl/server...', '--filter=@certctl/web'];
const total = countBuildTasks(
  execFileSync(turbo, ['run', 'build', ...filters, '--dry-run=json'], { cwd: root, encoding: 'utf8' }),
);
// A first build takes a minute or two: say so, then one numbered line per package as it builds.
console.error(
  `[certctl] building certctl-server and the web dashboard: ${total} packages (a minute or two the first time) ...`,
);
const progress = createBuildProgress({ total, write: (text) => process.stderr.write(text) });
const build = spawn(turbo, ['run', 'build', ...filters, '--output-logs=hash-only'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'inherit'],
});
createInterface({ input: build.stdout }).on('line', (line) => progress.line(line));
const buildCode = await new Promise((done) => build.on('close', (code) => done(code ?? 1)));
if (buildCode !== 0) {
  console.error(`[certctl] the build failed (turbo exit ${buildCode}); its errors are above`);
  process.exit(buildCode);
}
console.error('[certctl] build done; starting certctl-server');
const child = spawn(process.execPath, [join(serverDir, 'dist/cli.js'), ...process.argv.slice(2)], {
  stdio: 'inherit',
  cwd: root,
});
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
