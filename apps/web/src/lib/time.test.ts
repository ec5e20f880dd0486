import { describe, expect, it } from 'vitest';
import { daysUntil, formatLocal, formatRelative, formatUtc, localInputToIso } from './time';

describe('times in the browser zone, UTC on hover', () => {
  const instant = '2026-03-29T00:30:00Z'; // the night Europe/Berlin moves to summer time

  it('formats in the given zone, minutes precision', () => {
    expect(formatLocal(instant, 'UTC')).toBe('2026-03-29 00:30');
    expect(formatLocal(instant, 'Europe/Berlin')).toBe('2026-03-29 01:30');
    expect(formatLocal('2026-03-29T01:30:00Z', 'Europe/Berlin')).toBe('2026-03-29 03:30');
    expect(formatLocal(instant, 'America/New_York')).toBe('2026-03-28 20:30');
    expect(formatLocal(null)).toBe('—');
    expect(formatLocal('not a date')).toBe('—');
  });

  it('gives the UTC value with seconds for the title attribute', () => {
    expect(formatUtc(instant)).toBe('2026-03-29 00:30:00 UTC');
    expect(formatUtc(new Date(Date.UTC(2027, 0, 2, 3, 4, 5)))).toBe('2027-01-02 03:04:05 UTC');
    expect(formatUtc(undefined)).toBe('');
  });

  it('says how far away a time is in its largest whole unit', () => {
    const now = new Date('2026-12-07T12:00:00Z');
    expect(formatRelative('2026-12-10T12:00:00Z', now)).toBe('in 3 days');
    expect(formatRelative('2026-12-07T11:55:00Z', now)).toBe('5 minutes ago');
    expect(formatRelative('2026-12-07T11:59:30Z', now)).toBe('just now');
    expect(formatRelative('2026-12-06T12:00:00Z', now)).toBe('yesterday');
    expect(daysUntil('2026-12-20T11:00:00Z', now)).toBe(12);
    expect(daysUntil('2026-12-06T12:00:00Z', now)).toBe(-1);
  });

  it('reads a datetime-local input (browser zone) as RFC 3339 UTC', () => {
    const local = '2026-06-01T10:00';
    expect(localInputToIso(local)).toBe(new Date(local).toISOString());
    expect(localInputToIso('')).toBeUndefined();
  });
});
