import { expect, it } from 'vitest';
import { parseDuration } from './duration.js';

it('reads the durations the reference writes (8760h, 30d, 1h30m) and nothing else', () => {
  expect(parseDuration('8760h')).toBe(8760 * 3600);
  expect(parseDuration('30d')).toBe(30 * 86_400);
  expect(parseDuration('1h30m')).toBe(5400);
  expect(parseDuration('90s')).toBe(90);
  for (const bad of ['', 'forever', '10', 'h', '1.5h', '-1h', '1h 30m'])
    expect(parseDuration(bad), bad).toBeUndefined();
});
