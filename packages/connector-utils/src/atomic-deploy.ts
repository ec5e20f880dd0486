import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import {
  chmod,
  chown,
  copyFile,
  link,
  open,
  readdir,
  readFile,
  realpath,
  rename,
  stat,
  unlink,
} from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import {
  type Clock,
  ConfigValidationError,
  ConnectorError,
  type ConnectorLogger,
  DeployFailedError,
  isRetryable,
} from '@certctl/core';
import { withPathLocks } from './path-lock.js';
import { systemClock } from './system-clock.js';

export interface DeployFile {
  /** Absolute path; a symlink is followed and the file it points to is replaced. */
  path: string;
  content: string | Uint8Array;
  /** What the file holds: sets the default mode of a new file (certificate 0644, private-key 0600). */
  kind?: 'certificate' | 'private-key';
  /** Mode of a new file (overrides `kind`); an existing file keeps its own mode. Default 0600. */
  mode?: number;
  /** Owner of a new file; an existing file keeps its own uid/gid. Default: the process's. */
  owner?: { uid: number; gid: number };
}

export interface DeployFilesOptions {
  files: readonly DeployFile[];
  /** Checks the new files in place (e.g. `nginx -t`); runs after they are renamed into place. */
  validate?: () => Promise<void>;
  /** Makes the service load the files (e.g. `systemctl reload nginx`). */
  reload?: () => Promise<void>;
  /** Confirms the service now serves the new certificate (e.g. a TLS handshake). */
  verify?: () => Promise<void>;
  /** Backups kept per file as `<file>.certctl-bak.<UTC timestamp>` beside it; default 3, 0 keeps none. */
  backups?: number;
  signal?: AbortSignal;
  logger?: ConnectorLogger;
  /** Connector id for error messages, e.g. `target-nginx`. */
  connector?: string;
  /** Clock for backup timestamps. */
  clock?: Clock;
}

export type DeployPhase = 'write' | 'validate' | 'reload' | 'verify';

export interface DeployFilesResult {
  /** False when every file already held the new bytes (nothing was written, validated or reloaded). */
  changed: boolean;
  /** Real paths written. */
  files: string[];
  /** Backups made by this deploy. */
  backups: string[];
}

interface Snapshot {
  target: string;
  file: DeployFile;
  bytes: Buffer;
  existed: boolean;
  previous: Buffer | undefined;
  mode: number;
  uid: number | undefined;
  gid: number | undefined;
}

const TEMP_MARKER = '.certctl-tmp-';
const BACKUP_MARKER = '.certctl-bak.';

/**
 * Replaces a set of files atomically with validate → reload → verify, restoring the previous bytes,
 * modes and owners (and reloading again) on any failure. Idempotent: identical bytes change nothing.
 */
export async function deployFiles(options: DeployFilesOptions): Promise<DeployFilesResult> {
  const { connector } = options;
  checkFiles(options.files, connector);
  const targets = await Promise.all(options.files.map((f) => resolveTarget(f.path)));
  return withPathLocks(targets, async () => {
    const snapshots = await Promise.all(options.files.map((file, i) => takeSnapshot(file, targets[i]!))).catch(
      (cause: unknown) => {
        // Nothing is written yet (a target is a directory, unreadable, ...): a typed error, nothing to undo.
        throw new ConnectorError({
          connector,
          message: `cannot read the current files before deploying: ${cause instanceof Error ? cause.message : String(cause)}; nothing was replaced`,
          cause,
        });
      },
    );
    if (snapshots.every((s) => s.existed && s.previous!.equals(s.bytes))) {
      options.logger?.debug({ files: targets }, 'deploy skipped: files already hold these bytes');
      return { changed: false, files: targets, backups: [] };
    }
    const describe = `deploy of ${targets[0]}${targets.length > 1 ? ` (+${targets.length - 1} more)` : ''}`;
    const fail = (phase: DeployPhase, cause: unknown, rollback: RollbackOutcome): never => {
      // The cause's own `[certctl] [connector]` prefix would repeat the one this error gets.
      const reason = (cause instanceof Error ? cause.message : String(cause)).replace(
        /^\[certctl\](?: \[[^\]]+\])? /,
        '',
      );
      const outcome = rollback.ok
        ? rollback.replaced
          ? 'the previous files were restored'
          : 'nothing was replaced'
        : `ROLLBACK FAILED (${rollback.error}): the new files may still be in place; restore them from the .certctl-bak files`;
      throw new DeployFailedError({
        connector,
        message: `${describe} failed during ${phase}: ${reason}; ${outcome}`,
        cause,
        retryable: rollback.ok && isRetryable(cause),
        rollback: rollback.ok ? (rollback.replaced ? 'restored' : 'not_needed') : 'failed',
      });
    };

    // Phase write: temp files beside each target, then backups, then renames.
    const temps: string[] = [];
    const replaced: Snapshot[] = [];
    const backups: string[] = [];
    try {
      throwIfAborted(options.signal);
      await Promise.all(snapshots.map((s) => removeStaleTemps(s.target)));
      for (const snapshot of snapshots) {
        temps.push(await writeTemp(snapshot.target, snapshot.bytes, snapshot.mode, snapshot.uid, snapshot.gid));
      }
      const keep = Math.max(0, Math.floor(options.backups ?? 3));
      if (keep > 0) {
        const stamp = timestamp((options.clock ?? systemClock).now());
        for (const snapshot of snapshots) if (snapshot.existed) backups.push(await makeBackup(snapshot, stamp));
      }
      for (const [i, snapshot] of snapshots.entries()) {
        await rename(temps[i]!, snapshot.target);
        replaced.push(snapshot);
      }
      await Promise.all([...new Set(snapshots.map((s) => dirname(s.target)))].map(fsyncDirectory));
    } catch (error) {
      await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
      const rollback = await rollBack(replaced, undefined);
      if (rollback.ok) await Promise.all(backups.map((b) => unlink(b).catch(() => undefined)));
      return fail('write', error, rollback);
    }

    let phase: DeployPhase = 'validate';
    try {
      throwIfAborted(options.signal);
      await options.validate?.();
      phase = 'reload';
      throwIfAborted(options.signal);
      await options.reload?.();
      phase = 'verify';
      throwIfAborted(options.signal);
      await options.verify?.();
    } catch (error) {
      options.logger?.warn(
        { phase, files: targets, error: (error as Error).message },
        'deploy failed; restoring previous files',
      );
      // The service only needs reloading back if it may have loaded the new files.
      const reloadBack = phase !== 'validate' ? options.reload : undefined;
      const rollback = await rollBack(replaced, reloadBack);
      if (rollback.ok) await Promise.all(backups.map((b) => unlink(b).catch(() => undefined)));
      else options.logger?.error({ phase, files: targets, error: rollback.error }, 'deploy rollback failed');
      return fail(phase, error, rollback);
    }

    await Promise.all(
      snapshots.map((s) =>
        pruneBackups(s.target, Math.max(0, Math.floor(options.backups ?? 3))).catch((error: Error) =>
          options.logger?.warn({ file: s.target, error: error.message }, 'could not prune old backups'),
        ),
      ),
    );
    options.logger?.info({ files: targets, backups }, 'deployed files');
    return { changed: true, files: targets, backups };
  });
}

interface RollbackOutcome {
  ok: boolean;
  replaced: boolean;
  error?: string;
}

async function rollBack(
  replaced: readonly Snapshot[],
  reload: (() => Promise<void>) | undefined,
): Promise<RollbackOutcome> {
  const problems: string[] = [];
  for (const snapshot of [...replaced].reverse()) {
    try {
      if (snapshot.existed) {
        const temp = await writeTemp(snapshot.target, snapshot.previous!, snapshot.mode, snapshot.uid, snapshot.gid);
        await rename(temp, snapshot.target);
      } else {
        await unlink(snapshot.target);
      }
    } catch (error) {
      problems.push(`${snapshot.target}: ${(error as Error).message}`);
    }
  }
  await Promise.all(
    [...new Set(replaced.map((s) => dirname(s.target)))].map((d) => fsyncDirectory(d).catch(() => undefined)),
  );
  if (problems.length === 0 && reload) {
    try {
      await reload();
    } catch (error) {
      problems.push(`reload after restoring: ${(error as Error).message}`);
    }
  }
  return { ok: problems.length === 0, replaced: replaced.length > 0, error: problems.join('; ') || undefined };
}

function checkFiles(files: readonly DeployFile[], connector: string | undefined): void {
  const issues: { path: string; message: string }[] = [];
  if (files.length === 0) issues.push({ path: 'files', message: 'nothing to deploy' });
  files.forEach((file, i) => {
    if (!isAbsolute(file.path) || file.path.includes('\0')) {
      issues.push({ path: `files.${i}.path`, message: `"${file.path}" is not an absolute path` });
    }
  });
  if (new Set(files.map((f) => f.path)).size !== files.length)
    issues.push({ path: 'files', message: 'the same path appears twice' });
  if (issues.length > 0) throw new ConfigValidationError({ connector, issues });
}

async function resolveTarget(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return path;
    throw error;
  }
}

async function takeSnapshot(file: DeployFile, target: string): Promise<Snapshot> {
  const bytes = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : Buffer.from(file.content);
  const defaultMode = file.mode ?? (file.kind === 'certificate' ? 0o644 : 0o600);
  try {
    const info = await stat(target);
    if (!info.isFile()) throw new Error(`${target} exists and is not a regular file`);
    return {
      target,
      file,
      bytes,
      existed: true,
      previous: await readFile(target),
      mode: info.mode & 0o7777,
      uid: info.uid,
      gid: info.gid,
    };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return {
      target,
      file,
      bytes,
      existed: false,
      previous: undefined,
      mode: defaultMode,
      uid: file.owner?.uid,
      gid: file.owner?.gid,
    };
  }
}

/** Writes `bytes` to a new temp file beside `target` (O_EXCL), sets mode and owner, fsyncs; returns its path. */
async function writeTemp(target: string, bytes: Uint8Array, mode: number, uid?: number, gid?: number): Promise<string> {
  const temp = join(
    dirname(target),
    `.${basename(target)}${TEMP_MARKER}${process.pid}-${randomBytes(6).toString('hex')}`,
  );
  const handle = await open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  try {
    await handle.writeFile(bytes);
    if (uid !== undefined && gid !== undefined) {
      try {
        await handle.chown(uid, gid);
      } catch (error) {
        throw new Error(
          `cannot give ${target} its owner ${uid}:${gid} (${(error as NodeJS.ErrnoException).code}); run the agent as root or as the file's owner`,
          { cause: error },
        );
      }
    }
    // After chown, which may clear setuid bits; and explicit, so the umask does not interfere.
    await handle.chmod(mode);
    await handle.sync();
    await handle.close();
    return temp;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
}

async function makeBackup(snapshot: Snapshot, stamp: string): Promise<string> {
  for (let n = 0; ; n++) {
    const candidate = `${snapshot.target}${BACKUP_MARKER}${stamp}${n === 0 ? '' : `-${n}`}`;
    try {
      // A hard link keeps the old inode (bytes, mode, owner) at no cost once the target is replaced.
      await link(snapshot.target, candidate);
      return candidate;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      await copyFile(snapshot.target, candidate, fsConstants.COPYFILE_EXCL);
      await chmod(candidate, snapshot.mode);
      if (snapshot.uid !== undefined && snapshot.gid !== undefined) await chown(candidate, snapshot.uid, snapshot.gid);
      return candidate;
    }
  }
}

async function pruneBackups(target: string, keep: number): Promise<void> {
  const prefix = `${basename(target)}${BACKUP_MARKER}`;
  const names = (await readdir(dirname(target))).filter((name) => name.startsWith(prefix)).sort(compareBackups);
  const excess = names.slice(0, Math.max(0, names.length - keep));
  await Promise.all(excess.map((name) => unlink(join(dirname(target), name))));
}

function compareBackups(a: string, b: string): number {
  const key = (name: string) => {
    const match = /\.certctl-bak\.(\d{8}T\d{9}Z)(?:-(\d+))?$/.exec(name);
    return match ? ([match[1]!, Number(match[2] ?? 0)] as const) : ([name, 0] as const);
  };
  const [ta, na] = key(a);
  const [tb, nb] = key(b);
  return ta < tb ? -1 : ta > tb ? 1 : na - nb;
}

/** Removes temp files a crashed deploy left beside `target` (only those whose process is gone). */
async function removeStaleTemps(target: string): Promise<void> {
  const prefix = `.${basename(target)}${TEMP_MARKER}`;
  let names: string[];
  try {
    names = await readdir(dirname(target));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(name.slice(prefix.length).split('-')[0]);
    // A live process may be mid-deploy; only a dead one's leftovers are garbage.
    if (pid === process.pid || (Number.isInteger(pid) && pid > 0 && isProcessAlive(pid))) continue;
    await unlink(join(dirname(target), name)).catch(() => undefined);
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('.', '');
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason instanceof Error ? signal.reason : new Error('the deploy was aborted');
  }
}
