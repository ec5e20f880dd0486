import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { signWebhookPayload, verifyWebhookSignature } from './webhook-signature.js';

const secret = 'whsec-0123456789abcdef';
const body = '{"action":"notify","dedup_key":"k1"}';
const now = new Date('2026-11-23T12:00:00Z');
const t = Math.floor(now.getTime() / 1000);

describe('webhook signatures', () => {
  it('verifies a signature made for the same body, secret and a recent timestamp', () => {
    expect(verifyWebhookSignature({ secret, body, header: signWebhookPayload(secret, body, t - 10), now })).toEqual({
      ok: true,
      timestamp: t - 10,
    });
    expect(
      verifyWebhookSignature({ secret, body: Buffer.from(body), header: signWebhookPayload(secret, body, t), now }).ok,
    ).toBe(true);
  });

  it('is an HMAC-SHA256 over "<t>.<body>" that openssl reproduces', async () => {
    const { execFileSync } = await import('node:child_process');
    const out = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret, '-hex'], {
      input: `${t}.${body}`,
    }).toString();
    expect(signWebhookPayload(secret, body, t)).toBe(`t=${t},v1=${out.trim().split(/\s+/).pop()}`);
  });

  it('rejects a replay older than the tolerance, and a timestamp too far in the future', () => {
    const old = signWebhookPayload(secret, body, t - 301);
    expect(verifyWebhookSignature({ secret, body, header: old, now })).toEqual({
      ok: false,
      reason: 'outside_tolerance',
    });
    expect(verifyWebhookSignature({ secret, body, header: old, now, toleranceSeconds: 600 }).ok).toBe(true);
    expect(verifyWebhookSignature({ secret, body, header: signWebhookPayload(secret, body, t + 400), now }).ok).toBe(
      false,
    );
  });

  it('rejects a changed body, a wrong secret and a timestamp swapped into a valid signature', () => {
    const header = signWebhookPayload(secret, body, t);
    expect(verifyWebhookSignature({ secret, body: `${body} `, header, now }).reason).toBe('mismatch');
    expect(verifyWebhookSignature({ secret: 'other-secret-000000', body, header, now }).reason).toBe('mismatch');
    const swapped = header.replace(`t=${t}`, `t=${t - 1}`);
    expect(verifyWebhookSignature({ secret, body, header: swapped, now }).reason).toBe('mismatch');
  });

  it('accepts any matching v1 among several (secret rotation)', () => {
    const good = signWebhookPayload(secret, body, t).split(',')[1]!;
    const header = `t=${t},v1=${'0'.repeat(64)},${good}`;
    expect(verifyWebhookSignature({ secret, body, header, now }).ok).toBe(true);
  });

  it('reports missing and malformed headers', () => {
    expect(verifyWebhookSignature({ secret, body, header: undefined, now }).reason).toBe('missing');
    for (const header of [
      'v1=abc',
      `t=${t}`,
      `t=${t},v1=XYZ`,
      `t=${t},t=${t},v1=${'0'.repeat(64)}`,
      'garbage',
      `t=-1,v1=${'0'.repeat(64)}`,
    ]) {
      expect(verifyWebhookSignature({ secret, body, header, now }).reason, header).toBe('malformed');
    }
  });

  it('never throws and never accepts a header not made with the secret', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.string({ maxLength: 100 }), (header, payload) => {
        const result = verifyWebhookSignature({ secret, body: payload, header, now });
        expect(result.ok).toBe(false);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(
        fc.integer({ min: t - 300, max: t + 300 }),
        fc.string({ maxLength: 100 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        (ts, payload, other) => {
          const forged = signWebhookPayload(`${secret}${other}`, payload, ts);
          expect(verifyWebhookSignature({ secret, body: payload, header: forged, now }).ok).toBe(false);
          expect(
            verifyWebhookSignature({ secret, body: payload, header: signWebhookPayload(secret, payload, ts), now }).ok,
          ).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
