import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { withTempDir } from './temp-dir.js';
import { wrapCommand } from './wrapped-command.js';

describe('wrapCommand', () => {
  it('counts runs, runs the real command, and fails exactly once when told', async () => {
    await withTempDir(async (dir) => {
      const wrapped = wrapCommand(dir, 'reload', `/usr/bin/touch ${dir}/touched`);
      const [program, ...args] = wrapped.command.split(' ') as [string, ...string[]];
      execFileSync(program, args);
      expect(wrapped.runs()).toBe(1);
      expect(execFileSync('ls', [dir]).toString()).toContain('touched');
      wrapped.failNext();
      expect(() => execFileSync(program, args, { stdio: 'pipe' })).toThrow(/simulated reload failure/);
      execFileSync(program, args);
      expect(wrapped.runs()).toBe(3);
    });
  });

  it('failNextAfterRunning runs the real command, then fails exactly once', async () => {
    await withTempDir(async (dir) => {
      const touched = join(dir, 'touched');
      const wrapped = wrapCommand(dir, 'reload', `/usr/bin/touch ${touched}`);
      const [program, ...args] = wrapped.command.split(' ') as [string, ...string[]];
      wrapped.failNextAfterRunning();
      expect(() => execFileSync(program, args, { stdio: 'pipe' })).toThrow(wrapped.failedAfterRunningOutput);
      expect(existsSync(touched), 'the real command ran before the simulated failure').toBe(true);
      rmSync(touched);
      execFileSync(program, args);
      expect(existsSync(touched)).toBe(true);
      expect(wrapped.runs()).toBe(2);
    });
  });
});
