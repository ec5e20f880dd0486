// Shared helpers for the scripts that install and run real services on loopback for tests.
// Each service keeps its state under <repo>/.certctl-services/<name>/ and is stopped by the PID it wrote.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const servicesDir = join(repoRoot, '.certctl-services');

export function serviceDir(name) {
  const dir = join(servicesDir, name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Resolves true when something accepts TCP connections on host:port within timeoutMs. */
export function isPortOpen(port, host = '127.0.0.1', timeoutMs = 500) {
  return new Promise((resolvePromise) => {
    const socket = createConnection({ port, host });
    const done = (open) => {
      socket.destroy();
      resolvePromise(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function waitForPort(port, { host = '127.0.0.1', timeoutMs = 30_000, what = `port ${port}` } = {}) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isPortOpen(port, host)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} did not open on ${host}:${port} within ${timeoutMs} ms`);
}

export function commandExists(command) {
  try {
    execFileSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let aptUpdated = false;
/**
 * Installs Debian packages when a command is missing. Needs root (CI and our dev machines are);
 * elsewhere it says what to install instead of failing obscurely.
 */
export function aptInstall(packages, { because } = {}) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!isRoot || !commandExists('apt-get')) {
    throw new Error(
      `missing ${packages.join(' ')}${because ? ` (needed for ${because})` : ''}: install with "sudo apt-get install -y ${packages.join(' ')}"`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    aptUpdated = true;
  }
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
}

/** Starts a detached process, logging to <dir>/<name>.log and writing its PID to <dir>/<name>.pid. */
export function startDetached(name, command, args, { dir, env, uid, gid } = {}) {
  const out = openSync(join(dir, `${name}.log`), 'a');
  const child = spawn(command, args, {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, ...env },
    uid,
    gid,
  });
  child.unref();
  writeFileSync(join(dir, `${name}.pid`), String(child.pid));
  return child.pid;
}

export function readPid(dir, name) {
  const file = join(dir, `${name}.pid`);
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

export function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the process recorded in <dir>/<name>.pid (TERM, then KILL after a grace period). */
export async function stopByPid(dir, name, graceMs = 5000) {
  const pid = readPid(dir, name);
  if (pid && isAlive(pid)) {
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  rmSync(join(dir, `${name}.pid`), { force: true });
}
