import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { digicertErrors } from './digicert-client.js';

describe("reading DigiCert's error bodies", () => {
  it('reads codes and messages from the documented envelope', () => {
    expect(
      digicertErrors('{"errors":[{"code":"invalid_csr","message":"The CSR is invalid."},{"code":"x","message":"y"}]}'),
    ).toEqual({ codes: ['invalid_csr', 'x'], text: 'invalid_csr: The CSR is invalid.; x: y' });
    expect(digicertErrors('<html>Bad gateway</html>')).toBeUndefined();
    expect(digicertErrors('{"errors":[]}')).toBeUndefined();
  });

  it('never throws and bounds what it returns, whatever the body', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.json(),
          fc.jsonValue().map((v) => JSON.stringify({ errors: v })),
        ),
        (body) => {
          const read = digicertErrors(body);
          if (read) {
            expect(Array.isArray(read.codes)).toBe(true);
            expect(read.text.length).toBeLessThanOrEqual(400);
          }
        },
      ),
    );
  });
});
