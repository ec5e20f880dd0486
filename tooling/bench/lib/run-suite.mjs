// One suite in its own process (tsx, workspace sources), its BENCH_RESULT line parsed. Used by run.mjs
// and by suites.test.ts (tiny sizes, shape only).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..', '..');

export function runSuite(file, suiteArgs, env = process.env) {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        join(here, 'define-globals.mjs'),
        '--import',
        'tsx',
        '--conditions=@certctl/source',
        join(here, '..', 'suites', file),
        ...suiteArgs,
      ],
      { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      const line = out.split('\n').find((l) => l.startsWith('BENCH_RESULT '));
      if (code !== 0 || !line) return reject(new Error(`${file} exited with ${code}\n${out.slice(-2000)}`));
      resolve(JSON.parse(line.slice('BENCH_RESULT '.length)));
    });
  });
}
