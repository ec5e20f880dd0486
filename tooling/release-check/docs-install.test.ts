// The install-from-tarballs lines of docs/agent.md and docs/cli.md, run verbatim: the first sh block
// in the repository (pnpm install, pack-release), the second where the tarballs were copied, with
// npm's global prefix pointed at a temporary directory.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'certctl-docs-install-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** The sh blocks of `doc` between the `from` and `to` markers, each as its non-empty lines. */
function shBlocks(doc: string, from: string, to: string): string[][] {
  const text = readFileSync(join(root, 'docs', doc), 'utf8');
  const start = text.indexOf(from);
  const end = text.indexOf(to, start);
  expect(start, `${doc}: "${from}"`).toBeGreaterThanOrEqual(0);
  expect(end, `${doc}: "${to}"`).toBeGreaterThan(start);
  return [...text.slice(start, end).matchAll(/```sh\n([\s\S]*?)```/g)].map((m) =>
    m[1]!.split('\n').filter((line) => line.trim() !== ''),
  );
}

function version(pkg: string): string {
  return JSON.parse(readFileSync(join(root, pkg, 'package.json'), 'utf8')).version;
}

/** Runs one documented line with sh, in `cwd`, with npm's global prefix in `prefix`. */
async function sh(line: string, cwd: string, prefix: string) {
  try {
    return await run('sh', ['-c', line], {
      cwd,
      env: { ...process.env, npm_config_prefix: prefix, PATH: `${join(prefix, 'bin')}:${process.env.PATH}` },
      maxBuffer: 32 * 1024 * 1024,
    });
  } catch (error) {
    const e = error as { stdout?: string; stderr?: string; message: string };
    throw new Error(`\`${line}\` failed:\n${e.stdout ?? ''}${e.stderr ?? e.message}`);
  }
}

/** Packs in the repository with the first block, copies release/ to a "host", installs there with the second. */
async function packAndInstall(blocks: string[][], name: string) {
  expect(blocks.length).toBeGreaterThanOrEqual(2);
  const [pack, install] = blocks as [string[], string[]];
  expect(pack.some((line) => line.startsWith('node tooling/scripts/pack-release.mjs '))).toBe(true);
  expect(install[0]).toBe('npm install -g ./release/*.tgz');
  for (const line of pack) await sh(line, root, join(work, 'unused-prefix'));
  const host = join(work, name);
  cpSync(join(root, 'release'), join(host, 'release'), { recursive: true });
  const prefix = join(host, 'prefix');
  const outputs = [];
  for (const line of install) outputs.push(await sh(line, host, prefix));
  return { host, prefix, outputs };
}

describe('install from release tarballs, as the docs say', () => {
  it('docs/agent.md: pack, npm install -g, certctl-agent --version (and the --prefix variant)', async () => {
    const blocks = shBlocks('agent.md', '## Install', 'Then the configuration');
    const { host, outputs, prefix } = await packAndInstall(blocks, 'agent-host');
    expect(outputs.at(-1)!.stdout).toContain(`certctl-agent ${version('apps/agent')}`);
    // Installed globally into the prefix, with the agent's @certctl dependencies from the tarballs.
    const global = join(prefix, 'lib/node_modules/@certctl');
    for (const dep of ['agent', 'target-nginx', 'core', 'pki', 'client', 'connector-utils', 'wire'])
      expect(JSON.parse(readFileSync(join(global, dep, 'package.json'), 'utf8')).name).toBe(`@certctl/${dep}`);

    const doc = readFileSync(join(root, 'docs/agent.md'), 'utf8');
    const prefixLine = /`(npm install --prefix \/opt\/certctl-agent "\$PWD"\/release\/\*\.tgz)`/.exec(doc)?.[1];
    expect(prefixLine).toBeDefined();
    const dir = join(host, 'opt-certctl-agent');
    await sh(prefixLine!.replace('/opt/certctl-agent', dir), host, join(work, 'unused-prefix'));
    const { stdout } = await run(join(dir, 'node_modules/.bin/certctl-agent'), ['--version']);
    expect(stdout).toContain(`certctl-agent ${version('apps/agent')}`);
  }, 900_000);

  it('docs/cli.md: pack, npm install -g, certctl --help and certctl version', async () => {
    const blocks = shBlocks('cli.md', '# certctl', '## Configuration');
    const { outputs, prefix } = await packAndInstall(blocks, 'cli-host');
    expect(outputs.at(-1)!.stdout).toContain('certctl status');
    const { stdout } = await run(join(prefix, 'bin/certctl'), ['version'], {
      env: { PATH: process.env.PATH, HOME: work, XDG_CONFIG_HOME: work },
    });
    expect(stdout).toContain(version('apps/cli'));
  }, 900_000);
});
