const tails = new Map<string, Promise<void>>();

/** Runs `fn` while holding in-process locks on every path (taken in sorted order, so no deadlock). */
export async function withPathLocks<T>(paths: readonly string[], fn: () => Promise<T>): Promise<T> {
  const unique = [...new Set(paths)].sort();
  const releases: (() => void)[] = [];
  try {
    for (const path of unique) {
      const previous = tails.get(path) ?? Promise.resolve();
      let release!: () => void;
      const current = new Promise<void>((resolve) => {
        release = resolve;
      });
      const tail = previous.then(() => current);
      tails.set(path, tail);
      releases.push(() => {
        release();
        if (tails.get(path) === tail) tails.delete(path);
      });
      await previous;
    }
    return await fn();
  } finally {
    for (const release of releases.reverse()) release();
  }
}
