import type { Notification } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { eventTitle, formatUtc, notificationFacts, notificationLink } from './notification-facts.js';

const base: Notification = {
  event: 'expiring',
  severity: 'warning',
  subject: 's',
  text: 't',
  dedupKey: 'k',
  occurredAt: new Date('2026-11-23T10:00:00Z'),
  certificate: {
    id: 'cert 1',
    name: 'api',
    commonName: 'api.example.test',
    sans: ['api.example.test', 'www.example.test'],
    notAfter: new Date('2026-11-30T10:00:00Z'),
    daysRemaining: 7,
    owner: 'alice',
  },
};

describe('notification facts', () => {
  it('lists the facts in reading order and leaves out what is absent', () => {
    expect(notificationFacts(base)).toEqual([
      { label: 'Event', value: 'Certificate expiring' },
      { label: 'Severity', value: 'warning' },
      { label: 'Certificate', value: 'api' },
      { label: 'Common name', value: 'api.example.test' },
      { label: 'SANs', value: 'www.example.test' },
      { label: 'Expires', value: '2026-11-30 10:00 UTC' },
      { label: 'Days left', value: '7' },
      { label: 'Owner', value: 'alice' },
    ]);
    expect(notificationFacts({ ...base, certificate: undefined })).toHaveLength(2);
  });

  it('links to the certificate page under the public base URL, preferring the notification url', () => {
    expect(notificationLink(base, 'https://certctl.example.test/')).toBe(
      'https://certctl.example.test/certificates/cert%201',
    );
    expect(notificationLink({ ...base, url: 'https://x.test/y' }, 'https://certctl.example.test')).toBe(
      'https://x.test/y',
    );
    expect(notificationLink(base, undefined)).toBeUndefined();
    expect(notificationLink({ ...base, certificate: undefined }, 'https://c.test')).toBe('https://c.test');
  });

  it('formats titles and dates', () => {
    expect(eventTitle('renewal_failed')).toBe('Renewal failed');
    expect(formatUtc(new Date('2026-01-02T03:04:59Z'))).toBe('2026-01-02 03:04 UTC');
  });
});
