// The release dry run: pack every public package as it would be published and prove each one
// installs and works alone from its tarball.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { installAlone } from './install-alone.mjs';
import { checkOperatorInstall } from './operator-install.mjs';
import { packWorkspace } from './pack-workspace.mjs';
import { packageProblems } from './package-rules.mjs';
import { readTarball } from './tarball.mjs';
import { lintTarball } from './tarball-lint.mjs';

const require = createRequire(import.meta.url);

/**
 * @typedef {{ name: string, version: string, tarball: string, packedBytes: number, unpackedBytes: number, problems: string[] }} PackageResult
 * @param {{
 *   root: string, workDir?: string, only?: string[], apps?: boolean, concurrency?: number,
 *   tarballs?: { name: string, tarball: string, relativeDir?: string }[], keep?: boolean,
 *   log?: (line: string) => void,
 * }} options `tarballs` checks ready tarballs instead of packing the workspace (used by the tests).
 * @returns {Promise<{ results: PackageResult[], operatorProblems: string[], ok: boolean, workDir: string }>}
 */
export async function runReleaseCheck(options) {
  const log = options.log ?? (() => {});
  const workDir = options.workDir ?? mkdtempSync(join(tmpdir(), 'certctl-release-check-'));
  // The pinned pnpm of the root package.json (its exports map hides bin/, so by path).
  const pnpm = [process.execPath, join(options.root, 'node_modules/pnpm/bin/pnpm.cjs')];
  const tsc = require.resolve('typescript/bin/tsc', { paths: [options.root] });
  const typesNodeRange = '^20.19.0';
  try {
    const packed = options.tarballs
      ? options.tarballs.map((t) => ({ ...t, manifest: readTarball(t.tarball).manifest }))
      : packWorkspace({ root: options.root, workDir, pnpm, only: undefined });
    const tarballs = new Map(packed.map((p) => [p.manifest.name, p.tarball]));
    const versions = new Map(packed.map((p) => [p.manifest.name, p.manifest.version]));
    const coreVersion = versions.get('@certctl/core');
    const selected = packed.filter((p) => !options.only || options.only.includes(p.manifest.name));
    log(`packed ${packed.length} packages into ${join(workDir, 'tarballs')}; checking ${selected.length}`);

    const checkOne = async (p) => {
      const contents = readTarball(p.tarball);
      const name = contents.manifest.name;
      const problems = [
        ...packageProblems(contents, { relativeDir: p.relativeDir, coreVersion }),
        ...(await lintTarball(contents.data)),
      ];
      if (!problems.some((problem) => problem.startsWith('dependencies.'))) {
        problems.push(
          ...(await installAlone({
            name,
            tarball: p.tarball,
            tarballs,
            connector: contents.manifest.certctl,
            projectDir: join(workDir, 'projects', basename(p.tarball, '.tgz')),
            pnpm,
            tsc,
            typesNodeRange,
          })),
        );
      }
      const result = {
        name,
        version: contents.manifest.version,
        tarball: p.tarball,
        packedBytes: contents.packedBytes,
        unpackedBytes: contents.unpackedBytes,
        problems,
      };
      log(
        `${problems.length ? 'FAIL' : 'ok  '} ${name}@${result.version}  ${kb(result.packedBytes)} packed, ${kb(result.unpackedBytes)} unpacked${problems.map((x) => `\n       - ${x.replaceAll('\n', '\n         ')}`).join('')}`,
      );
      return result;
    };
    const results = await mapPool(selected, options.concurrency ?? 3, checkOne);

    let operatorProblems = [];
    if (options.apps !== false && tarballs.has('@certctl/server') && tarballs.has('@certctl/agent')) {
      operatorProblems = await checkOperatorInstall({ projectDir: join(workDir, 'operator'), tarballs, versions });
      log(
        `${operatorProblems.length ? 'FAIL' : 'ok  '} server, agent${tarballs.has('@certctl/cli') ? ' and CLI' : ''} installed with npm, --version, started, one agent cycle${tarballs.has('@certctl/cli') ? ', certctl version and status' : ''}${operatorProblems.map((x) => `\n       - ${x.replaceAll('\n', '\n         ')}`).join('')}`,
      );
    }
    const ok = results.every((r) => r.problems.length === 0) && operatorProblems.length === 0;
    return { results, operatorProblems, ok, workDir };
  } finally {
    if (!options.keep && !options.workDir && existsSync(workDir)) rmSync(workDir, { recursive: true, force: true });
  }
}

function kb(bytes) {
  return `${(bytes / 1024).toFixed(1)} kB`;
}

async function mapPool(items, concurrency, fn) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await fn(items[index]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
