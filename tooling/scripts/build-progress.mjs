// What `npm start` shows while turbo builds: one numbered line per package as its build starts
// (or comes from the cache), instead of turbo's hashes or minutes of silence.

/** Build tasks turbo would run (`turbo run build --dry-run=json` output): packages with a build script. */
export function countBuildTasks(dryRunJson) {
  const plan = JSON.parse(dryRunJson);
  return plan.tasks.filter((task) => task.command !== '<NONEXISTENT>').length;
}

/**
 * Turns turbo's `--output-logs=hash-only` lines into progress lines. `line()` takes each line turbo
 * prints; lines that are not a task starting (its summary, errors) pass through as they are.
 */
export function createBuildProgress({ total, write, now = () => Date.now() }) {
  const started = now();
  let seen = 0;
  return {
    line(text) {
      const task = /^(\S+):build: (cache hit|cache miss|cache bypass)/.exec(text);
      if (!task) {
        if (text.trim() && !/^\s*•/.test(text)) write(`${text}\n`);
        return;
      }
      seen++;
      const elapsed = Math.round((now() - started) / 1000);
      const what = task[2] === 'cache hit' ? 'up to date' : 'building';
      write(`[certctl] [${seen}/${total}, ${elapsed}s] ${task[1]} ${what}\n`);
    },
  };
}
