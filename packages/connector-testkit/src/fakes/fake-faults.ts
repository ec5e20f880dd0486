import type { FakeResponse } from '../fake-vendor.js';

/** Answers queued by a test for the next requests a fake receives, before it looks at them. */
export interface FaultQueue {
  /** Queues one answer, e.g. `{ status: 500 }`. */
  push(fault: FakeResponse): void;
  /** The next queued answer, removed from the queue. */
  take(): FakeResponse | undefined;
  clear(): void;
}

export function createFaultQueue(): FaultQueue {
  const queue: FakeResponse[] = [];
  return {
    push: (fault) => {
      queue.push(fault);
    },
    take: () => queue.shift(),
    clear: () => {
      queue.length = 0;
    },
  };
}

/** Parses a JSON body or returns undefined (the fakes answer each vendor's own "bad payload" error). */
export function parseJsonBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
