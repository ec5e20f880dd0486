/** wrk (Debian package `wrk`) as the load generator: same tool, same settings for every server compared. */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { aptInstall, commandExists } from '../../services/index.mjs';

const run = promisify(execFile);

/** Installs wrk (as root, from Debian) the first time a suite needs it; it is not a test dependency. */
function ensureWrk(): void {
  if (!commandExists('wrk')) aptInstall(['wrk'], { because: 'the OCSP benchmark' });
}

export interface WrkResult {
  requestsPerSecond: number;
  non2xx: number;
  errors: number;
}

/** A wrk Lua script that POSTs `body` (binary-safe: decimal escapes) with a content type. */
export function postScript(dir: string, name: string, body: Uint8Array, contentType: string): string {
  const escaped = Array.from(body, (b) => `\\${b}`).join('');
  const file = join(dir, `${name}.lua`);
  writeFileSync(file, `wrk.method = "POST"\nwrk.body = "${escaped}"\nwrk.headers["Content-Type"] = "${contentType}"\n`);
  return file;
}

export async function wrk(
  url: string,
  options: { seconds: number; connections: number; threads?: number; script?: string },
): Promise<WrkResult> {
  ensureWrk();
  const args = [
    '-t',
    String(options.threads ?? 2),
    '-c',
    String(options.connections),
    '-d',
    `${options.seconds}s`,
    '--latency',
  ];
  if (options.script) args.push('-s', options.script);
  args.push(url);
  const { stdout } = await run('wrk', args, { encoding: 'utf8', timeout: (options.seconds + 30) * 1000 });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1] ?? Number.NaN);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const errors = (/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout) ?? [])
    .slice(1)
    .reduce((sum, n) => sum + Number(n), 0);
  return { requestsPerSecond: rps, non2xx, errors };
}
