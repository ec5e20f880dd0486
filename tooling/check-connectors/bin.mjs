#!/usr/bin/env node
// check-connectors [dir...]: checks connector packages against the conventions a person would
// otherwise forget. Without arguments it checks every issuer-*, target-*, notifier-*, discovery-*
// directory under packages/. Exit 1 when any package has problems.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkConnectorPackage } from './check-package.mjs';
import { findConnectorPackages } from './find-connector-packages.mjs';
import { enableTypeScriptImports } from './load-typescript.mjs';

const workspaceRoot = fileURLToPath(new URL('../..', import.meta.url));

function usage() {
  return 'usage: check-connectors [--packages-dir <dir>] [connector-dir...]';
}

async function main(argv) {
  let packagesDir = resolve(workspaceRoot, 'packages');
  const dirs = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') {
      console.log(usage());
      return 0;
    }
    if (arg === '--packages-dir') packagesDir = resolve(argv[++i] ?? '.');
    else if (arg.startsWith('-')) {
      console.error(`unknown option ${arg}\n${usage()}`);
      return 2;
    } else dirs.push(resolve(arg));
  }
  const targets = dirs.length > 0 ? dirs : findConnectorPackages(packagesDir);
  if (targets.length === 0) {
    console.log(
      `No connector packages found in ${packagesDir} (looked for issuer-*, target-*, notifier-*, discovery-* with a package.json). Nothing to check.`,
    );
    return 0;
  }
  enableTypeScriptImports(workspaceRoot);
  let failing = 0;
  for (const dir of targets) {
    const { name, problems } = await checkConnectorPackage(dir);
    if (problems.length === 0) {
      console.log(`ok   ${name}`);
      continue;
    }
    failing++;
    console.log(`FAIL ${name} (${dir})`);
    for (const p of problems) console.log(`  - [${p.rule}] ${p.message}`);
  }
  console.log(`\n${targets.length} connector package(s) checked, ${failing} with problems.`);
  return failing === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    console.error(error);
    process.exitCode = 1;
  },
);
