import { execFileSync } from 'node:child_process';
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
});
