#!/usr/bin/env node
// release-check [--only @certctl/a,@certctl/b] [--no-apps] [--keep]: the release dry run CI runs.
// Exit 1 when any package would ship broken.
import { fileURLToPath } from 'node:url';
import { runReleaseCheck } from './release-check.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const usage = 'usage: release-check [--only <name,...>] [--no-apps] [--keep]';

const argv = process.argv.slice(2);
const options = { root, log: (line) => console.log(line) };
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i];
  if (arg === '--help' || arg === '-h') {
    console.log(usage);
    process.exit(0);
  } else if (arg === '--only') options.only = (argv[++i] ?? '').split(',').filter(Boolean);
  else if (arg === '--no-apps') options.apps = false;
  else if (arg === '--keep') options.keep = true;
  else {
    console.error(`unknown argument ${arg}\n${usage}`);
    process.exit(2);
  }
}
const started = Date.now();
const { results, operatorProblems, ok, workDir } = await runReleaseCheck(options);
const failed = results.filter((r) => r.problems.length).length + (operatorProblems.length ? 1 : 0);
console.log(
  `release check: ${results.length} packages, ${failed} failed, in ${((Date.now() - started) / 1000).toFixed(0)} s${options.keep ? ` (kept ${workDir})` : ''}`,
);
process.exit(ok ? 0 : 1);
