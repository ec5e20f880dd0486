import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } };
}

describe('server logs', () => {
  it('json: one object per line, with the authorization header redacted', () => {
    const out = capture();
    createLogger({ level: 'info', format: 'json', destination: out.destination }).info(
      { headers: { authorization: 'Bearer cc_secret' } },
      'hello',
    );
    const event = JSON.parse(out.lines.join(''));
    expect(event).toMatchObject({ msg: 'hello', level: 30, service: 'certctl-server' });
    expect(JSON.stringify(event)).not.toContain('cc_secret');
  });

  it('text: a readable line, coloured when asked, still redacted', () => {
    const plain = capture();
    createLogger({ level: 'info', format: 'text', destination: plain.destination }).warn(
      { headers: { authorization: 'Bearer cc_secret' }, job: 'job-1' },
      'renewal failed',
    );
    const line = plain.lines.join('');
    expect(line).toMatch(/^\[\d{4}-\d{2}-\d{2} [\d:.]+\] WARN: renewal failed/);
    expect(line).toContain('job: "job-1"');
    expect(line).not.toContain('cc_secret');
    expect(() => JSON.parse(line)).toThrow();
    expect(line).not.toContain('\u001b[');

    const coloured = capture();
    createLogger({ level: 'info', format: 'text', destination: coloured.destination, colorize: true }).info('ready');
    expect(coloured.lines.join('')).toContain('\u001b[');
  });
});

describe('certctl-server honours CERTCTL_LOG_FORMAT and keeps its logs on stderr', () => {
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  const cli = fileURLToPath(new URL('../cli.ts', import.meta.url));

  /** A start that logs, then stops at once on a taken port (so nothing is created). */
  async function failedStart(format?: string) {
    const squatter = createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const port = (squatter.address() as { port: number }).port;
    const dir = mkdtempSync(join(tmpdir(), 'certctl-log-format-'));
    try {
      return await new Promise<{ stdout: string; stderr: string }>((resolve) => {
        execFile(
          process.execPath,
          ['--conditions=@certctl/source', '--import', tsx, cli],
          {
            cwd: dir,
            timeout: 60_000,
            env: {
              PATH: process.env.PATH ?? '',
              CERTCTL_DATA_DIR: join(dir, 'data'),
              CERTCTL_SERVER_PORT: String(port),
              ...(format && { CERTCTL_LOG_FORMAT: format }),
            },
          },
          (_error, stdout, stderr) => resolve({ stdout: String(stdout), stderr: String(stderr) }),
        );
      });
    } finally {
      squatter.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('text when asked, JSON by default when not on a terminal; nothing on stdout', async () => {
    const text = await failedStart('text');
    expect(text.stderr).toMatch(/INFO: starting certctl-server/);
    expect(text.stdout).toBe('');
    const json = await failedStart();
    const first = json.stderr.split('\n').find((line) => line.startsWith('{'));
    expect(JSON.parse(first ?? '')).toMatchObject({ msg: 'starting certctl-server' });
    expect(json.stdout).toBe('');
  }, 120_000);
});
