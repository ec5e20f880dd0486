/** Times as the dashboard shows them: in the browser's zone, with the UTC value for the title attribute. */

const pad = (n: number) => String(n).padStart(2, '0');

function parse(value: string | Date | null | undefined): Date | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

/** `2026-12-07 21:04` in the given zone (default: the browser's), for tables. */
export function formatLocal(value: string | Date | null | undefined, timeZone?: string): string {
  const date = parse(value);
  if (!date) return '—';
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(date);
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

/** `2026-12-07 21:04:05 UTC`: the title of every time shown, so hovering tells the unambiguous value. */
export function formatUtc(value: string | Date | null | undefined): string {
  const date = parse(value);
  if (!date) return '';
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} UTC`;
}

const UNITS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
];

/** `in 3 days`, `5 minutes ago`, `just now`: the largest whole unit. */
export function formatRelative(value: string | Date | null | undefined, now: Date = new Date()): string {
  const date = parse(value);
  if (!date) return '—';
  const diff = date.getTime() - now.getTime();
  const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  for (const [unit, ms] of UNITS) {
    if (Math.abs(diff) >= ms) return format.format(Math.trunc(diff / ms), unit);
  }
  return 'just now';
}

/** Whole days from now until the value (negative once past); undefined without a value. */
export function daysUntil(value: string | Date | null | undefined, now: Date = new Date()): number | undefined {
  const date = parse(value);
  if (!date) return undefined;
  return Math.floor((date.getTime() - now.getTime()) / 86_400_000);
}

/** A `datetime-local` input's value (browser zone) as RFC 3339 UTC, for API filters. */
export function localInputToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
