import { describe, expect, it } from 'vitest';
import { matchesSanPattern, sanProblem, toSubjectAltNames } from './certificate-names.js';
import { statusByExpiry } from './certificate-status.js';

describe('certificate names', () => {
  it('types SANs given as plain strings', () => {
    expect(
      toSubjectAltNames('app.example.com', ['10.0.0.1', 'ops@example.com', 'spiffe://prod/app', 'WWW.example.com']),
    ).toEqual({
      dns: ['app.example.com', 'www.example.com'],
      ip: ['10.0.0.1'],
      email: ['ops@example.com'],
      uri: ['spiffe://prod/app'],
    });
    expect(toSubjectAltNames('Payments service', []).dns).toEqual([]);
  });

  it('matches profile SAN patterns one label deep with *, any depth with **', () => {
    expect(matchesSanPattern('a.example.com', '*.example.com')).toBe(true);
    expect(matchesSanPattern('a.b.example.com', '*.example.com')).toBe(false);
    expect(matchesSanPattern('a.b.example.com', '**.example.com')).toBe(true);
    expect(matchesSanPattern('example.com.evil.org', '*.example.com')).toBe(false);
  });

  it('rejects malformed DNS names', () => {
    expect(sanProblem('bad_name!.example.com')).toBeDefined();
    expect(sanProblem('*.example.com')).toBeUndefined();
  });
});

describe('certificate status and retries', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const inDays = (d: number) => new Date(now.getTime() + d * 86_400_000);
  it('follows the clock but never overrides revoked, archived or in-progress', () => {
    expect(statusByExpiry('active', inDays(40), now, 30)).toBe('active');
    expect(statusByExpiry('active', inDays(20), now, 30)).toBe('expiring');
    expect(statusByExpiry('expiring', inDays(-1), now, 30)).toBe('expired');
    expect(statusByExpiry('revoked', inDays(-1), now, 30)).toBe('revoked');
    expect(statusByExpiry('renewal_in_progress', inDays(-1), now, 30)).toBe('renewal_in_progress');
  });
});
