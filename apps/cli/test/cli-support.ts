import { runCli } from '../src/program.js';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs certctl in-process with captured streams and exactly this environment. */
export async function runCertctl(
  args: string[],
  env: Record<string, string>,
  tty?: { columns: number },
): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await runCli(args, {
    stdout: { write: (t) => void (stdout += t), isTTY: Boolean(tty), columns: tty?.columns },
    stderr: { write: (t) => void (stderr += t), isTTY: false },
    env,
  });
  return { code, stdout, stderr };
}
