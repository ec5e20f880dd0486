import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectorError, DeadlineExceededError, type Exec } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { createCommandRunner } from './command-runner.js';

const run = createCommandRunner();

describe('createCommandRunner', () => {
  it('is assignable to core Exec', () => {
    const exec: Exec = run;
    expect(typeof exec).toBe('function');
  });

  it('passes arguments verbatim without a shell', async () => {
    const result = await run('/bin/echo', ['$HOME', '; rm -rf /', '`id`', "it's"]);
    expect(result).toEqual({
      exitCode: 0,
      signal: null,
      stdout: "$HOME ; rm -rf / `id` it's\n",
      stdoutBytes: new Uint8Array(Buffer.from("$HOME ; rm -rf / `id` it's\n")),
      stderr: '',
      timedOut: false,
      truncated: false,
    });
  });

  it('keeps binary stdout intact in stdoutBytes', async () => {
    const result = await run('/usr/bin/printf', ['\\060\\202\\377\\000\\001']);
    expect([...result.stdoutBytes!]).toEqual([0x30, 0x82, 0xff, 0x00, 0x01]);
  });

  it('reports a non-zero exit and stderr without throwing', async () => {
    const result = await run('/bin/sh', ['-c', 'echo oops >&2; exit 3']);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toBe('oops\n');
  });

  it('feeds input to stdin and closes it', async () => {
    const result = await run('cat', [], { input: 'hello\nworld' });
    expect(result.stdout).toBe('hello\nworld');
  });

  it('does not inherit the environment unless asked', async () => {
    process.env.CERTCTL_TEST_SECRET = 'leak-me';
    try {
      const isolated = await run('/bin/sh', ['-c', 'echo "[$CERTCTL_TEST_SECRET][$GIVEN]"'], { env: { GIVEN: 'yes' } });
      expect(isolated.stdout).toBe('[][yes]\n');
      const inheriting = await createCommandRunner({ inheritEnv: true })('/bin/sh', [
        '-c',
        'echo "[$CERTCTL_TEST_SECRET]"',
      ]);
      expect(inheriting.stdout).toBe('[leak-me]\n');
    } finally {
      delete process.env.CERTCTL_TEST_SECRET;
    }
  });

  it('finds programs on a fixed system PATH when the environment is not inherited', async () => {
    const result = await run('sh', ['-c', 'echo "$PATH"']);
    expect(result.stdout).toBe('/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n');
  });

  it('runs a shell script only when shell is asked for, with args as positional parameters', async () => {
    const result = await run('echo "first=$1 count=$#"', ['a b; c'], { shell: true });
    expect(result.stdout).toBe('first=a b; c count=1\n');
  });

  it('runs in the given working directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certctl-exec-'));
    try {
      expect((await run('pwd', [], { cwd: dir })).stdout.trim()).toBe(dir);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('kills a command that passes its deadline and says it timed out', async () => {
    const result = await run('sleep', ['30'], { timeoutMs: 100 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGTERM');
    expect(result.exitCode).toBeNull();
  });

  it('escalates to SIGKILL when the command ignores SIGTERM, killing its children too', async () => {
    const stubborn = createCommandRunner({ killGraceMs: 100 });
    const result = await stubborn('/bin/sh', ['-c', 'trap "" TERM; sleep 30 & wait'], { timeoutMs: 100 });
    expect(result.timedOut).toBe(true);
    expect(result.signal).toBe('SIGKILL');
  });

  it('caps captured output and marks it truncated', async () => {
    const result = await run('/bin/sh', ['-c', 'head -c 100000 /dev/zero | tr "\\0" x'], { maxOutputBytes: 1000 });
    expect(result.stdout).toHaveLength(1000);
    expect(result.truncated).toBe(true);
    expect(result.exitCode).toBe(0);
  });

  it('stops the command and rejects with DeadlineExceededError when aborted', async () => {
    const controller = new AbortController();
    const pending = run('sleep', ['30'], { signal: controller.signal }).catch((e: Error) => e);
    setTimeout(() => controller.abort(), 50);
    const error = await pending;
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('sleep was aborted');
  });

  it('rejects with a clear ConnectorError when the program does not exist', async () => {
    const error = await run('certctl-no-such-program', []).catch((e: Error) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(
      'cannot run certctl-no-such-program: ENOENT (not found on PATH or not executable)',
    );
  });

  it('tolerates a child that exits without reading its input', async () => {
    const result = await run('true', [], { input: 'x'.repeat(1_000_000) });
    expect(result.exitCode).toBe(0);
  });
});
