import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { sectigoError } from './sectigo-client.js';

describe("reading Sectigo's error bodies", () => {
  it('reads code and description from the documented envelope', () => {
    expect(sectigoError('{"code":-183,"description":"Certificate is not collectable."}')).toEqual({
      code: -183,
      description: 'Certificate is not collectable.',
    });
    expect(sectigoError('{"code":"-183"}')).toBeUndefined();
    expect(sectigoError('Service Unavailable')).toBeUndefined();
  });

  it('never throws and bounds what it returns, whatever the body', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.record({ code: fc.jsonValue(), description: fc.jsonValue() }).map((v) => JSON.stringify(v)),
        ),
        (body) => {
          const read = sectigoError(body);
          if (read) {
            expect(typeof read.code).toBe('number');
            expect(read.description.length).toBeLessThanOrEqual(300);
          }
        },
      ),
    );
  });
});
