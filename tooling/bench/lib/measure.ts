/** Runs `fn` in batches until `seconds` have passed (after a warm-up); returns operations per second. */
export function rateSync(
  fn: () => void,
  seconds: number,
  warmupSeconds = 0.3,
): { perSecond: number; operations: number; seconds: number } {
  const until = (s: number, body: () => number) => {
    const start = performance.now();
    let ops = 0;
    while (performance.now() - start < s * 1000) ops += body();
    return { ops, elapsed: (performance.now() - start) / 1000 };
  };
  const batch = () => {
    for (let i = 0; i < 50; i++) fn();
    return 50;
  };
  until(warmupSeconds, batch);
  const { ops, elapsed } = until(seconds, batch);
  return { perSecond: ops / elapsed, operations: ops, seconds: elapsed };
}

export async function rateAsync(
  fn: () => Promise<unknown>,
  seconds: number,
  warmupSeconds = 0.3,
): Promise<{ perSecond: number; operations: number; seconds: number }> {
  const run = async (s: number) => {
    const start = performance.now();
    let ops = 0;
    while (performance.now() - start < s * 1000) {
      await fn();
      ops++;
    }
    return { ops, elapsed: (performance.now() - start) / 1000 };
  };
  await run(warmupSeconds);
  const { ops, elapsed } = await run(seconds);
  return { perSecond: ops / elapsed, operations: ops, seconds: elapsed };
}

/** The suite's result goes to stdout as the last line, prefixed so run.mjs can find it among logs. */
export function emit(result: unknown): void {
  process.stdout.write(`\nBENCH_RESULT ${JSON.stringify(result)}\n`);
}

export function arg(name: string, fallback: string): string {
  const prefix = `--${name}=`;
  const hit = process.argv.find((a) => a.startsWith(prefix));
  return hit ? hit.slice(prefix.length) : fallback;
}
