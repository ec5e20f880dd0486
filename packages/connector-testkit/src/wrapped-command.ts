import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrappedCommand {
  /** What to configure as the target's command (`/bin/sh <script>`). */
  command: string;
  /** Makes the next run fail (exit 1, "simulated <name> failure" on stderr) without running the real command. */
  failNext(): void;
  /**
   * Makes the next run run the real command and then fail (exit 1, `failedAfterRunningOutput` on stderr):
   * a reload that took effect but reported failure, so the caller must restore and run it again.
   */
  failNextAfterRunning(): void;
  /** What a run armed by `failNextAfterRunning` prints on stderr. */
  failedAfterRunningOutput: string;
  /** How many times the command ran so far. */
  runs(): number;
}

/**
 * Wraps a real command (a daemon's reload, a config check) in a script under `dir` that counts its
 * runs and can be told to fail once: how target tests prove "no reload on a no-op" and exercise
 * rollback after a failed reload against a real server. `realCommand` must be plain words (no quoting).
 */
export function wrapCommand(dir: string, name: string, realCommand: string): WrappedCommand {
  const flag = join(dir, `${name}.fail-next`);
  const afterFlag = join(dir, `${name}.fail-next-after-running`);
  const counter = join(dir, `${name}.runs`);
  const script = join(dir, `${name}.sh`);
  const failedAfterRunningOutput = `simulated ${name} failure after running the real command`;
  writeFileSync(
    script,
    `#!/bin/sh
echo run >> '${counter}'
if [ -e '${flag}' ]; then rm -f '${flag}'; echo 'simulated ${name} failure' >&2; exit 1; fi
if [ -e '${afterFlag}' ]; then rm -f '${afterFlag}'; ${realCommand} || exit $?; echo '${failedAfterRunningOutput}' >&2; exit 1; fi
exec ${realCommand}
`,
    { mode: 0o755 },
  );
  return {
    command: `/bin/sh ${script}`,
    failNext: () => writeFileSync(flag, ''),
    failNextAfterRunning: () => writeFileSync(afterFlag, ''),
    failedAfterRunningOutput,
    runs: () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0),
  };
}
