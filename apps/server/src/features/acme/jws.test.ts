import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePayload, parseJws, verifyJws } from './jws.js';
import { AcmeProblem } from './problems.js';
import { newAccountKey, signJws } from './test-support/jws-client.js';

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

function problemType(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof AcmeProblem) return error.type;
    throw error;
  }
  return undefined;
}

describe('parseJws', () => {
  it('accepts a flattened JWS from each allowed algorithm and verifies it', async () => {
    for (const alg of ['ES256', 'ES384', 'RS256', 'EdDSA'] as const) {
      const key = await newAccountKey(alg);
      const jws = await signJws(
        key,
        { jwk: key.jwk, nonce: 'abc', url: 'https://x/acme/new-account' },
        { termsOfServiceAgreed: true },
      );
      const parsed = parseJws(Buffer.from(JSON.stringify(jws)));
      expect(parsed.header.alg).toBe(alg);
      expect(decodePayload(await verifyJws(parsed, key.jwk))).toEqual({ termsOfServiceAgreed: true });
    }
  });

  it('rejects a signature made by another key, and a tampered payload', async () => {
    const key = await newAccountKey();
    const other = await newAccountKey();
    const jws = await signJws(key, { jwk: key.jwk, nonce: 'abc', url: 'https://x' }, { a: 1 });
    await expect(verifyJws(parseJws(jws), other.jwk)).rejects.toMatchObject({ type: 'malformed' });
    const tampered = { ...jws, payload: b64({ a: 2 }) };
    await expect(verifyJws(parseJws(tampered), key.jwk)).rejects.toMatchObject({ type: 'malformed' });
  });

  it('refuses algorithms outside the allow-list, both kid and jwk, neither, private keys and unprotected headers', async () => {
    const key = await newAccountKey();
    const base = { nonce: 'n', url: 'https://x' };
    const make = (header: unknown, extra: Record<string, unknown> = {}) => ({
      protected: b64(header),
      payload: b64({}),
      signature: 'c2ln',
      ...extra,
    });
    expect(problemType(() => parseJws(make({ ...base, alg: 'HS256', jwk: key.jwk })))).toBe('badSignatureAlgorithm');
    expect(problemType(() => parseJws(make({ ...base, alg: 'none', jwk: key.jwk })))).toBe('badSignatureAlgorithm');
    expect(problemType(() => parseJws(make({ ...base, alg: 'ES256', jwk: key.jwk, kid: 'https://x/acct/1' })))).toBe(
      'malformed',
    );
    expect(problemType(() => parseJws(make({ ...base, alg: 'ES256' })))).toBe('malformed');
    expect(problemType(() => parseJws(make({ ...base, alg: 'ES256', jwk: { ...key.jwk, d: 'secret' } })))).toBe(
      'badPublicKey',
    );
    expect(problemType(() => parseJws(make({ ...base, alg: 'RS256', jwk: key.jwk })))).toBe('badPublicKey');
    expect(problemType(() => parseJws(make({ ...base, alg: 'ES256', jwk: key.jwk }, { header: { kid: 'x' } })))).toBe(
      'malformed',
    );
    expect(problemType(() => parseJws(make({ url: 'https://x', alg: 'ES256', jwk: key.jwk })))).toBe('badNonce');
    expect(problemType(() => parseJws(make({ nonce: 'n', alg: 'ES256', jwk: key.jwk })))).toBe('unauthorized');
    expect(problemType(() => parseJws({ signatures: [] }))).toBe('malformed');
  });

  it('turns any byte string into a typed problem or a parsed JWS, never another exception', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        try {
          parseJws(Buffer.from(bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(AcmeProblem);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('turns any JSON value and any mangled JWS structure into a typed problem', () => {
    const headerArb = fc.record(
      {
        alg: fc.oneof(fc.constantFrom('ES256', 'RS256', 'EdDSA', 'ES384', 'HS256', 'none'), fc.anything()),
        nonce: fc.oneof(fc.string(), fc.anything()),
        url: fc.oneof(fc.webUrl(), fc.anything()),
        kid: fc.anything(),
        jwk: fc.oneof(
          fc.record({ kty: fc.constantFrom('EC', 'RSA', 'OKP'), crv: fc.string(), x: fc.string() }),
          fc.anything(),
        ),
        b64: fc.boolean(),
      },
      { requiredKeys: [] },
    );
    const jwsArb = fc.oneof(
      fc.anything(),
      fc.record(
        {
          protected: fc.oneof(headerArb.map(b64), fc.string()),
          payload: fc.oneof(fc.string(), fc.anything()),
          signature: fc.oneof(fc.base64String(), fc.string()),
        },
        { requiredKeys: [] },
      ),
    );
    fc.assert(
      fc.property(jwsArb, (value) => {
        try {
          const parsed = parseJws(Buffer.from(JSON.stringify(value) ?? 'null'));
          expect(['ES256', 'RS256', 'EdDSA', 'ES384']).toContain(parsed.header.alg);
          expect(Boolean(parsed.header.kid) !== Boolean(parsed.header.jwk)).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(AcmeProblem);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('never accepts a JWS whose payload or protected header was changed after signing', async () => {
    const key = await newAccountKey();
    const jws = await signJws(
      key,
      { jwk: key.jwk, nonce: 'n0nce', url: 'https://x/new-order' },
      { identifiers: [{ type: 'dns', value: 'a.example' }] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('protected', 'payload', 'signature'),
        fc.nat(),
        fc.integer({ min: 1, max: 63 }),
        async (field, position, flip) => {
          const value = jws[field]!;
          const index = position % value.length;
          const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
          const replaced = alphabet[(alphabet.indexOf(value[index]!) + flip) % 64]!;
          const mutated = { ...jws, [field]: value.slice(0, index) + replaced + value.slice(index + 1) };
          let accepted = false;
          try {
            const parsed = parseJws(mutated);
            const payload = await verifyJws(parsed, key.jwk);
            // A change in the last base64 character's padding bits can decode to the same bytes.
            accepted =
              Buffer.from(payload).equals(Buffer.from(jws.payload!, 'base64url')) &&
              parsed.header.url === 'https://x/new-order';
            if (!accepted) return false;
          } catch (error) {
            expect(error).toBeInstanceOf(AcmeProblem);
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});
