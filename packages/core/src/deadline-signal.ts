/** A signal that aborts after `timeoutMs` or when any source aborts, and lets go of the sources afterwards. */
export interface DeadlineSignal {
  readonly signal: AbortSignal;
  /** Whether the deadline itself fired (rather than a source). */
  timedOut(): boolean;
  /** Clears the timer and removes the listeners on the sources; call it when the operation ends. */
  dispose(): void;
}

/**
 * Like `AbortSignal.any([...sources, AbortSignal.timeout(ms)])` but without that: on Node 20 every
 * `any()` over a long-lived signal (a connector's `ctx.signal`) stays attached to it, which costs time
 * per call and memory over a server's life. Listeners added here are removed by `dispose`.
 */
export function createDeadlineSignal(
  timeoutMs: number | undefined,
  sources: readonly (AbortSignal | undefined)[],
  onTimeout: () => unknown = () => new DOMException('The operation timed out', 'TimeoutError'),
): DeadlineSignal {
  const controller = new AbortController();
  let fired = false;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(
          () => {
            fired = true;
            controller.abort(onTimeout());
          },
          Math.max(1, timeoutMs),
        );
  timer?.unref?.();
  const listeners: [AbortSignal, () => void][] = [];
  for (const source of sources) {
    if (!source) continue;
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const forward = () => controller.abort(source.reason);
    source.addEventListener('abort', forward, { once: true });
    listeners.push([source, forward]);
  }
  return {
    signal: controller.signal,
    timedOut: () => fired,
    dispose() {
      if (timer) clearTimeout(timer);
      for (const [source, forward] of listeners) source.removeEventListener('abort', forward);
      listeners.length = 0;
    },
  };
}
