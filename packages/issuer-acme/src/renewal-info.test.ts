import { VendorApiError } from '@certctl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRenewalInfo } from './renewal-info.js';

const now = new Date('2026-01-01T00:00:00Z');
const response = (data: unknown, status = 200, headers: Record<string, string> = {}) => ({ status, headers, data });

describe('parseRenewalInfo', () => {
  it('reads suggestedWindow, explanationURL and Retry-After (seconds or HTTP date)', () => {
    const body = {
      suggestedWindow: { start: '2026-02-01T00:00:00Z', end: '2026-02-03T00:00:00Z' },
      explanationURL: 'https://ca.example/why',
    };
    expect(parseRenewalInfo(response(body, 200, { 'retry-after': '3600' }), now)).toEqual({
      suggestedWindow: { start: new Date('2026-02-01T00:00:00Z'), end: new Date('2026-02-03T00:00:00Z') },
      explanationUrl: 'https://ca.example/why',
      retryAfterSeconds: 3600,
    });
    expect(
      parseRenewalInfo(response(body, 200, { 'retry-after': 'Thu, 01 Jan 2026 06:00:00 GMT' }), now)?.retryAfterSeconds,
    ).toBe(21_600);
  });

  it('returns undefined for 404 (no ARI for this certificate) and throws VendorApiError for other statuses', () => {
    expect(parseRenewalInfo(response('', 404), now)).toBeUndefined();
    expect(() => parseRenewalInfo(response({ type: 'urn:ietf:params:acme:error:serverInternal' }, 500), now)).toThrow(
      VendorApiError,
    );
  });

  it('never returns a window that is not start < end, whatever the CA sends', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue(),
          fc.record({
            suggestedWindow: fc.record({
              start: fc.oneof(
                fc.string(),
                fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())),
              ),
              end: fc.oneof(
                fc.string(),
                fc.date().map((d) => (Number.isNaN(d.getTime()) ? 'x' : d.toISOString())),
              ),
            }),
          }),
        ),
        (data) => {
          try {
            const info = parseRenewalInfo(response(data), now);
            expect(info).toBeDefined();
            expect(info!.suggestedWindow.start.getTime()).toBeLessThan(info!.suggestedWindow.end.getTime());
          } catch (error) {
            expect(VendorApiError.isInstance(error)).toBe(true);
          }
        },
      ),
    );
  });
});
