/** The built server (`apps/server/dist/cli.js`) as a child process, as a user runs it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const SERVER_CLI = fileURLToPath(new URL('../../../apps/server/dist/cli.js', import.meta.url));
// BENCH_SERVER_FROM_SOURCE=1 runs apps/server/src/cli.ts through tsx instead (no build; slower to boot
// and not what users run, so numbers from it are not results): the tiny suite test uses it.
const SOURCE_CLI = [
  '--import',
  fileURLToPath(new URL('./define-globals.mjs', import.meta.url)),
  '--import',
  'tsx',
  '--conditions=@certctl/source',
  fileURLToPath(new URL('../../../apps/server/src/cli.ts', import.meta.url)),
];

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** VmRSS and VmHWM of a process in MB (Linux /proc). */
export function memoryOf(pid: number): { rssMb: number; peakMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN);
  return { rssMb: kb('VmRSS') / 1024, peakMb: kb('VmHWM') / 1024 };
}

export interface ServerProcess {
  child: ChildProcess;
  pid: number;
  apiUrl: string;
  /** The plain-HTTP PKI listener (CRL, OCSP). */
  pkiUrl: string;
  bootMs: number;
  stop(): Promise<void>;
}

export async function startServerProcess(options: {
  dataDir: string;
  apiKey: string;
  databaseUrl?: string;
  env?: Record<string, string>;
}): Promise<ServerProcess> {
  const [apiPort, pkiPort] = [await freePort(), await freePort()];
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    CERTCTL_DATA_DIR: options.dataDir,
    CERTCTL_SERVER_HOST: '127.0.0.1',
    CERTCTL_SERVER_PORT: String(apiPort),
    CERTCTL_PKI_HTTP_PORT: String(pkiPort),
    CERTCTL_API_KEYS_NAMED: `bench:${options.apiKey}:admin`,
    CERTCTL_CONFIG_ENCRYPTION_KEY: 'bench-encryption-passphrase-0123456789abcdef',
    CERTCTL_LOG_LEVEL: 'warn',
    ...(options.databaseUrl && { CERTCTL_DATABASE_URL: options.databaseUrl }),
    ...options.env,
  };
  const started = performance.now();
  // BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" shows where a measured server spends its time.
  const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const cli = process.env.BENCH_SERVER_FROM_SOURCE === '1' ? SOURCE_CLI : [SERVER_CLI];
  const child = spawn(process.execPath, [...nodeArgs, ...cli], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    cwd: fileURLToPath(new URL('../../..', import.meta.url)),
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in 180 s:\n${output}`)), 180_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('API (HTTPS):')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code} before listening:\n${output}`));
    });
  });
  const bootMs = performance.now() - started;
  // Keep draining the pipes so a chatty server never blocks on a full pipe.
  child.stdout!.resume();
  child.stderr!.on('data', (chunk: Buffer) => {
    if (process.env.BENCH_VERBOSE) process.stderr.write(chunk);
  });
  return {
    child,
    pid: child.pid!,
    apiUrl: `https://127.0.0.1:${apiPort}`,
    pkiUrl: `http://127.0.0.1:${pkiPort}`,
    bootMs,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
