import { mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  /** Removes the directory and everything in it; safe to call twice. */
  remove(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A fresh private directory under the OS temp dir (mode 0700). The caller removes it. */
export async function createTempDir(prefix = 'certctl-testkit-'): Promise<TempDir> {
  const path = await realpath(await mkdtemp(join(tmpdir(), prefix)));
  const remove = () => rm(path, { recursive: true, force: true });
  return { path, remove, [Symbol.asyncDispose]: remove };
}

/** Runs `fn` with a fresh temp directory and removes it afterwards, whether `fn` succeeds or throws. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T> | T, prefix?: string): Promise<T> {
  const dir = await createTempDir(prefix);
  try {
    return await fn(dir.path);
  } finally {
    await dir.remove();
  }
}
