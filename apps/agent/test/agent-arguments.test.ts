import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
// tsx by absolute URL: the process runs in an empty directory, where `--import tsx` would not resolve.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));

async function agent(args: string[]): Promise<{ code: number; stdout: string; stderr: string; cwd: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'certctl-agent-cli-'));
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--conditions=@certctl/source', '--import', tsx, cli, ...args],
      {
        cwd,
        env: { PATH: process.env.PATH ?? '' },
        timeout: 60_000,
      },
    );
    return { code: 0, stdout, stderr, cwd };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr, cwd };
  }
}

describe('certctl-agent arguments', () => {
  it('--version prints the version without any configuration', async () => {
    const result = await agent(['--version']);
    expect(result.code).toBe(0);
    // From sources the version is the source marker; release-check runs the packed bin for the real one.
    expect(result.stdout.trim()).toMatch(/^certctl-agent \d+\.\d+\.\d+\S*$/);
    expect(readdirSync(result.cwd)).toEqual([]);
  });

  it('refuses an unknown argument with usage', async () => {
    const result = await agent(['--server', 'x']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown argument --server');
    expect(result.stderr).toContain('usage: certctl-agent');
  });
});
