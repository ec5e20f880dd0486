#!/usr/bin/env node
// PostgreSQL for tests. Uses the server on 127.0.0.1:5432 when one answers (CI has one: trust auth,
// database `test`); otherwise runs its own cluster from Debian's binaries on 127.0.0.1:55432,
// installing `postgresql` with apt when it is missing. Idempotent; `stop` stops only what it started.
// CERTCTL_TEST_POSTGRES_URL points tests at another server; CERTCTL_TEST_POSTGRES=own skips the shared one.
//   node tooling/services/postgres.mjs start|stop|url
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './pebble.mjs';
import { aptInstall, isAlive, isPortOpen, readPid, serviceDir, startDetached, stopByPid, waitForPort } from './lib.mjs';

const SHARED = { port: 5432, url: 'postgres://postgres@127.0.0.1:5432/test' };
const OWN = { port: 55432, url: 'postgres://postgres@127.0.0.1:55432/postgres' };

function postgresBinDir() {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;
  const versions = readdirSync(base)
    .filter((v) => existsSync(join(base, v, 'bin', 'postgres')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : undefined;
}

function postgresIds() {
  const line = execFileSync('id', ['postgres'], { encoding: 'utf8' });
  const uid = Number(/uid=(\d+)/.exec(line)?.[1]);
  const gid = Number(/gid=(\d+)/.exec(line)?.[1]);
  return { uid, gid };
}

async function sharedServerAnswers() {
  if (!(await isPortOpen(SHARED.port))) return false;
  try {
    execFileSync('psql', [SHARED.url, '-Atc', 'select 1'], { stdio: 'pipe', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

/** Returns a connection URL for a PostgreSQL server that is up, starting one if needed. */
export async function ensurePostgres() {
  if (process.env.CERTCTL_TEST_POSTGRES_URL) return process.env.CERTCTL_TEST_POSTGRES_URL;
  if (process.env.CERTCTL_TEST_POSTGRES !== 'own' && (await sharedServerAnswers())) return SHARED.url;
  const dir = serviceDir('postgres');
  const pid = readPid(dir, 'postgres');
  if (pid && isAlive(pid) && (await isPortOpen(OWN.port))) return OWN.url;
  let bin = postgresBinDir();
  if (!bin) {
    aptInstall(['postgresql'], { because: 'the PostgreSQL tests' });
    bin = postgresBinDir();
    if (!bin) throw new Error('postgresql installed but no server binary found under /usr/lib/postgresql');
  }
  const data = join(dir, 'data');
  const isRoot = process.getuid?.() === 0;
  const ids = isRoot ? postgresIds() : undefined;
  if (ids) chownSync(dir, ids.uid, ids.gid);
  if (!existsSync(join(data, 'PG_VERSION'))) {
    // initdb refuses to run as root: run it as the postgres user.
    execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], {
      stdio: 'pipe',
      uid: ids?.uid,
      gid: ids?.gid,
    });
    writeFileSync(
      join(data, 'postgresql.auto.conf'),
      'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\nmax_connections = 200\n',
    );
    if (ids) chownSync(join(data, 'postgresql.auto.conf'), ids.uid, ids.gid);
  }
  startDetached('postgres', join(bin, 'postgres'), ['-D', data, '-h', '127.0.0.1', '-p', String(OWN.port), '-k', dir], {
    dir,
    uid: ids?.uid,
    gid: ids?.gid,
  });
  await waitForPort(OWN.port, { what: 'PostgreSQL' });
  return OWN.url;
}

/**
 * A PostgreSQL cluster of the caller's own (a temporary directory, a free loopback port) that it may
 * stop and start again: the fault-injection tests restart it under load, which they must not do to
 * the shared server. `remove()` stops it and deletes its files.
 */
export async function startPrivatePostgres() {
  const bin = postgresBinDir();
  if (!bin)
    throw new Error(
      'PostgreSQL binaries not found under /usr/lib/postgresql: run node tooling/services/ensure-test-services.mjs',
    );
  const dir = mkdtempSync(join(tmpdir(), 'certctl-private-pg-'));
  const data = join(dir, 'data');
  const port = await freePort();
  const ids = process.getuid?.() === 0 ? postgresIds() : undefined;
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const asOwner = { stdio: 'pipe', uid: ids?.uid, gid: ids?.gid };
  execFileSync(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync'], asOwner);
  const conf = join(data, 'postgresql.auto.conf');
  // fsync off only loses data when the machine crashes; synchronous_commit stays on, since an
  // immediate stop would otherwise lose commits the server already answered for.
  writeFileSync(
    conf,
    `fsync = off\nfull_page_writes = off\nlisten_addresses = '127.0.0.1'\nport = ${port}\nunix_socket_directories = '${dir}'\n`,
  );
  if (ids) chownSync(conf, ids.uid, ids.gid);
  const pgCtl = (...args) => execFileSync(join(bin, 'pg_ctl'), ['-D', data, '-w', '-t', '60', ...args], asOwner);
  const start = async () => {
    pgCtl('-l', join(dir, 'log'), 'start');
    await waitForPort(port, { what: 'the private PostgreSQL' });
  };
  const stop = async () => {
    // Immediate: connections drop at once, as when the database host fails.
    pgCtl('-m', 'immediate', 'stop');
  };
  await start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    start,
    stop,
    async remove() {
      try {
        pgCtl('-m', 'immediate', 'stop');
      } catch {}
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function stopPostgres() {
  await stopByPid(serviceDir('postgres'), 'postgres');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const command = process.argv[2] ?? 'start';
  if (command === 'start' || command === 'url') console.log(await ensurePostgres());
  else if (command === 'stop') await stopPostgres();
  else {
    console.error('usage: postgres.mjs start|stop|url');
    process.exit(2);
  }
}
