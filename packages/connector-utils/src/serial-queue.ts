/**
 * Runs work one at a time, in call order, whether the previous work failed or not: what a target
 * uses so that two deploys to the same place never interleave their snapshot, write and restore.
 */
export function createSerialQueue(): <T>(work: () => Promise<T>) => Promise<T> {
  let queue: Promise<unknown> = Promise.resolve();
  return <T>(work: () => Promise<T>): Promise<T> => {
    const next = queue.then(work, work);
    queue = next.catch(() => undefined);
    return next;
  };
}
