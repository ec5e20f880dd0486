import { describe, expect, it } from 'vitest';
import { createSerialQueue } from './serial-queue.js';
import { sameSerialHex } from './windows-store-target.js';

describe('createSerialQueue', () => {
  it('runs work one at a time in call order, and a failure does not stop the work after it', async () => {
    const serialized = createSerialQueue();
    const events: string[] = [];
    const step = (name: string, fail = false) =>
      serialized(async () => {
        events.push(`${name} start`);
        await new Promise((r) => setImmediate(r));
        events.push(`${name} end`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([step('a'), step('b', true), step('c')]);
    expect(events).toEqual(['a start', 'a end', 'b start', 'b end', 'c start', 'c end']);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });
});

describe('sameSerialHex', () => {
  it('compares serials as numbers, whatever the case, separators and leading zeros', () => {
    expect(sameSerialHex('00:0A:bc', 'abc')).toBe(true);
    expect(sameSerialHex('0', '00')).toBe(true);
    expect(sameSerialHex('0abc', 'abd')).toBe(false);
  });
});
