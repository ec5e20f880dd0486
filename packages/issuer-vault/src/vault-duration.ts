/**
 * Vault's duration strings (`8760h`, `90m`, `1h30m`, `45s`, `30d`, or bare seconds) to seconds.
 * Written here because it is six lines and the only library that parses Go durations pulls in far more.
 */
const PART = /(\d+)(d|h|m|s)/g;
const UNIT_SECONDS = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;

/** Seconds for a Vault duration, or undefined when the text is not one. */
export function parseVaultDuration(text: string): number | undefined {
  if (/^\d{1,10}$/.test(text)) return Number(text);
  if (!/^(\d{1,10}[dhms]){1,4}$/.test(text)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(PART))
    seconds += Number(amount) * UNIT_SECONDS[unit as keyof typeof UNIT_SECONDS];
  return seconds;
}
