#!/usr/bin/env node
// Runs a fleet simulation scenario against the workspace sources (tsx), see README.md:
//   node tooling/fleet-sim/run.mjs tooling/fleet-sim/scenarios/ci.json [--out=DIR]
// Needs PostgreSQL (started on loopback by tooling/services when absent).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const child = spawn(
  process.execPath,
  [
    '--import',
    join(here, '..', 'bench', 'lib', 'define-globals.mjs'),
    '--import',
    'tsx',
    '--conditions=@certctl/source',
    join(here, 'cli.ts'),
    ...process.argv.slice(2),
  ],
  { stdio: 'inherit' },
);
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
