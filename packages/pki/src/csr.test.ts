import { MalformedInputError } from '@certctl/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readDer } from './asn1-der.js';
import { createCsr, parseCsr, verifyCsrSignature } from './csr.js';
import { UPN_OTHER_NAME_OID, userPrincipalNames } from './general-names.js';
import { generateKeyPair, type KeyAlgorithmName } from './keys.js';
import { opensslText, runOpenssl } from './test-support/openssl.js';

describe('csr', () => {
  it.each<KeyAlgorithmName>(['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'ed25519'])(
    'creates a %s CSR that openssl verifies and we parse back',
    async (algorithm) => {
      const keys = await generateKeyPair({ algorithm });
      const csr = await createCsr({
        keys,
        subject: { O: 'Acme', CN: 'api.example.test' },
        sans: [
          { type: 'dns', value: 'api.example.test' },
          { type: 'ip', value: '192.0.2.1' },
          { type: 'email', value: 'admin@example.test' },
          { type: 'uri', value: 'https://example.test/id' },
        ],
        keyUsage: ['digitalSignature'],
        extKeyUsage: ['serverAuth', '1.3.6.1.4.1.99999.1'],
        mustStaple: true,
        challengePassword: 'one-time-secret',
      });
      const verified = await runOpenssl(['req', '-in', 'r.pem', '-noout', '-verify'], { files: { 'r.pem': csr.pem } });
      expect(verified.stdout + verified.stderr).toMatch(/verify OK|Certificate request self-signature verify OK/);
      const text = await opensslText('req', csr.pem);
      expect(text).toContain(
        'DNS:api.example.test, IP Address:192.0.2.1, email:admin@example.test, URI:https://example.test/id',
      );
      expect(text).toContain('challengePassword');
      expect(text).toContain('TLS Web Server Authentication, 1.3.6.1.4.1.99999.1');

      const parsed = parseCsr(csr.pem);
      expect(parsed).toMatchObject({
        subject: 'O=Acme, CN=api.example.test',
        commonName: 'api.example.test',
        keyUsage: ['digitalSignature'],
        extKeyUsage: ['serverAuth', '1.3.6.1.4.1.99999.1'],
        mustStaple: true,
        challengePassword: 'one-time-secret',
        publicKey: { name: algorithm },
      });
      expect(parsed.sans).toEqual([
        { type: 'dns', value: 'api.example.test' },
        { type: 'ip', value: '192.0.2.1' },
        { type: 'email', value: 'admin@example.test' },
        { type: 'uri', value: 'https://example.test/id' },
      ]);
      expect(await verifyCsrSignature(csr.der)).toBe(true);
    },
  );

  it('marks SANs critical when the subject is empty', async () => {
    const csr = await createCsr({
      keys: await generateKeyPair({ algorithm: 'ecdsa-p256' }),
      sans: [{ type: 'dns', value: 'a.example.test' }],
    });
    const parsed = parseCsr(csr.der);
    expect(parsed.subject).toBe('');
    expect(parsed.extensions.find((e) => e.oid === '2.5.29.17')?.critical).toBe(true);
    expect(
      await runOpenssl(['req', '-in', 'r.pem', '-noout', '-verify'], { files: { 'r.pem': csr.pem } }),
    ).toBeDefined();
  });

  it.each([
    ['RSA', ['-newkey', 'rsa:2048'], { type: 'rsa', bits: 2048 }],
    ['EC', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'], { type: 'ec', curve: 'P-256' }],
    ['Ed25519', ['-newkey', 'ed25519'], { type: 'ed25519' }],
  ])('parses and verifies a %s CSR made by openssl req', async (_name, keyArgs, publicKey) => {
    const { outputs } = await runOpenssl(
      [
        'req',
        '-new',
        ...keyArgs,
        '-nodes',
        '-keyout',
        'k.pem',
        '-out',
        'r.pem',
        '-subj',
        '/CN=legacy.example.test/emailAddress=pki@example.test',
        '-addext',
        'subjectAltName=DNS:legacy.example.test,IP:2001:db8::5',
        '-addext',
        'keyUsage=critical,digitalSignature,keyEncipherment',
        '-addext',
        'extendedKeyUsage=clientAuth',
        '-addext',
        'basicConstraints=critical,CA:FALSE',
      ],
      { outputs: ['r.pem'] },
    );
    const pem = outputs['r.pem']!.toString();
    const parsed = parseCsr(pem);
    expect(parsed).toMatchObject({
      commonName: 'legacy.example.test',
      subjectEmailAddresses: ['pki@example.test'],
      keyUsage: ['digitalSignature', 'keyEncipherment'],
      extKeyUsage: ['clientAuth'],
      basicConstraints: { ca: false },
      publicKey,
      challengePassword: undefined,
    });
    expect(parsed.sans).toEqual([
      { type: 'dns', value: 'legacy.example.test' },
      { type: 'ip', value: '2001:db8::5' },
    ]);
    expect(await verifyCsrSignature(pem)).toBe(true);
  });

  it("repeats a subject given as DER byte for byte (string types included), as a renewal's CSR must", async () => {
    // openssl encodes C as PrintableString and CN as UTF8String; the text form would re-encode both alike.
    const original = await opensslCsr(['-subj', '/C=DE/O=Legacy GmbH/CN=legacy.example.test']);
    const copy = parseCsr(
      (await createCsr({ keys: await generateKeyPair({ algorithm: 'ecdsa-p256' }), subject: original.subjectDer })).pem,
    );
    expect(Buffer.from(copy.subjectDer).equals(Buffer.from(original.subjectDer))).toBe(true);
    expect(copy.subject).toBe(original.subject);
  });

  /** A P-256 CSR made by `openssl req` with extra arguments (and files they name). */
  async function opensslCsr(args: string[], files: Record<string, string> = {}) {
    const { outputs } = await runOpenssl(
      [
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        'k.pem',
        '-out',
        'r.pem',
        ...args,
      ],
      { files, outputs: ['r.pem'] },
    );
    return parseCsr(outputs['r.pem']!.toString());
  }

  it('reads a challengePassword written by openssl', async () => {
    const config =
      '[req]\ndistinguished_name=dn\nattributes=attrs\nprompt=no\n[dn]\nCN=scep.example.test\n[attrs]\nchallengePassword=s3cret-Value\n';
    const csr = await opensslCsr(['-config', 'req.cnf'], { 'req.cnf': config });
    expect(csr.challengePassword).toBe('s3cret-Value');
  });

  it('reads userPrincipalName otherName SANs written by openssl and skips other otherNames', async () => {
    const csr = await opensslCsr([
      '-subj',
      '/CN=laptop-7',
      '-addext',
      'subjectAltName=otherName:1.3.6.1.4.1.311.20.2.3;UTF8:alice@corp.example,otherName:1.2.3.4;UTF8:not-a-upn,email:alice@corp.example',
    ]);
    expect(userPrincipalNames(csr.sans)).toEqual(['alice@corp.example']);
    expect(userPrincipalNames([{ type: 'other', oid: UPN_OTHER_NAME_OID, value: 'ff00' }])).toEqual([]);
  });

  it('reports a tampered signature as false', async () => {
    const csr = await createCsr({
      keys: await generateKeyPair({ algorithm: 'ecdsa-p256' }),
      subject: { CN: 'x.example.test' },
    });
    const tampered = csr.der.slice();
    const at = Buffer.from(tampered).indexOf(Buffer.from('x.example.test'));
    tampered[at] = 'y'.charCodeAt(0);
    expect(parseCsr(tampered).commonName).toBe('y.example.test');
    expect(await verifyCsrSignature(tampered)).toBe(false);
  });

  it.each<KeyAlgorithmName>(['ecdsa-p256', 'rsa-2048', 'ed25519'])(
    'reports a %s CSR with one flipped signature byte as false',
    async (algorithm) => {
      const csr = await createCsr({ keys: await generateKeyPair({ algorithm }), subject: { CN: 'sig.example.test' } });
      expect(await verifyCsrSignature(csr.der)).toBe(true);
      expect(await verifyCsrSignature(parseCsr(csr.pem).der)).toBe(true);
      const flipped = csr.der.slice();
      flipped[flipped.length - 5]! ^= 0x01;
      expect(parseCsr(flipped).commonName).toBe('sig.example.test');
      expect(await verifyCsrSignature(flipped)).toBe(false);
      expect(await verifyCsrSignature(parseCsr(flipped).der)).toBe(false);
    },
  );

  it.each<KeyAlgorithmName>(['ecdsa-p256', 'rsa-2048', 'ed25519'])(
    'refuses a %s CSR whose signature BIT STRING declares unused bits, as openssl req -verify does',
    async (algorithm) => {
      const csr = await createCsr({ keys: await generateKeyPair({ algorithm }), subject: { CN: 'bits.example.test' } });
      const [, , signature] = readDer(csr.der).children();
      const bad = csr.der.slice();
      bad[csr.der.length - signature!.value.length] = 4;
      expect(readDer(bad).children()[2]!.value[0]).toBe(4);
      expect(parseCsr(bad).commonName).toBe('bits.example.test');
      expect(await verifyCsrSignature(bad)).toBe(false);
      const files = { 'good.csr': csr.pem, 'bad.der': bad };
      const good = await runOpenssl(['req', '-in', 'good.csr', '-verify', '-noout'], { files, check: false });
      expect(good.exitCode, good.stderr).toBe(0);
      const refused = await runOpenssl(['req', '-inform', 'DER', '-in', 'bad.der', '-verify', '-noout'], {
        files,
        check: false,
      });
      expect(refused.exitCode).not.toBe(0);
      expect(refused.stderr).toContain('invalid bit string bits left');
    },
  );

  it('rejects arbitrary and mutated CSR bytes with MalformedInputError only (fuzz)', async () => {
    const csr = await createCsr({
      keys: await generateKeyPair({ algorithm: 'ecdsa-p256' }),
      subject: { CN: 'fuzz.example.test' },
      sans: [{ type: 'dns', value: 'fuzz.example.test' }],
      challengePassword: 'pw',
    });
    const valid = csr.der;
    const mutated = fc
      .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
      .map((edits) => {
        const copy = valid.slice();
        for (const [i, v] of edits) copy[i] = v;
        return copy;
      });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          mutated,
          fc.nat(valid.length - 1).map((n) => valid.slice(0, n)),
        ),
        async (der) => {
          try {
            parseCsr(der);
            await verifyCsrSignature(der);
          } catch (error) {
            if (!MalformedInputError.isInstance(error)) throw error;
          }
        },
      ),
      { seed: 42, numRuns: 300 },
    );
  });
});
