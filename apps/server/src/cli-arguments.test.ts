import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
// tsx by absolute URL: the process runs in an empty directory, where `--import tsx` would not resolve.
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));

/** certctl-server from its sources in an empty directory, so anything it creates is seen. */
async function server(args: string[]): Promise<{ code: number; stdout: string; stderr: string; cwd: string }> {
  const cwd = mkdtempSync(join(tmpdir(), 'certctl-server-cli-'));
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

describe('certctl-server arguments', () => {
  it('--version prints the version and creates nothing', async () => {
    const result = await server(['--version']);
    expect(result.code).toBe(0);
    // From sources the version is the source marker; release-check runs the packed bin for the real one.
    expect(result.stdout.trim()).toMatch(/^certctl-server \d+\.\d+\.\d+\S*$/);
    expect(readdirSync(result.cwd)).toEqual([]);
  });

  it('--help prints usage and creates no data directory', async () => {
    const result = await server(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('usage: certctl-server');
    expect(existsSync(join(result.cwd, 'data'))).toBe(false);
  });

  it('refuses an unknown argument before touching anything', async () => {
    const result = await server(['--port', '9000']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('unknown argument --port');
    expect(readdirSync(result.cwd)).toEqual([]);
  });
});
