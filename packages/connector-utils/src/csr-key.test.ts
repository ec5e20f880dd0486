import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConnectorError, MalformedInputError } from '@certctl/core';
import { createCsr, generateKeyPair } from '@certctl/pki';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertCertifiesCsrKey, checkedCsrKey } from './csr-key.js';

const connector = 'issuer-test';

describe('checkedCsrKey', () => {
  it('returns the SPKI openssl reports for an openssl-made CSR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'csr-key-'));
    try {
      const key = join(dir, 'key.pem');
      execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
      const csrPem = execFileSync('openssl', ['req', '-new', '-key', key, '-subj', '/CN=csr.example.test'], {
        encoding: 'utf8',
      });
      execFileSync('openssl', ['pkey', '-in', key, '-pubout', '-outform', 'DER', '-out', join(dir, 'spki.der')]);
      const got = await checkedCsrKey(csrPem, { connector });
      expect(Buffer.from(got.spki).equals(readFileSync(join(dir, 'spki.der')))).toBe(true);
      expect(got.publicKey.type).toBe('ec');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a CSR whose self-signature does not verify', async () => {
    const csr = await createCsr({
      keys: await generateKeyPair({ algorithm: 'ecdsa-p256' }),
      subject: { CN: 'a.test' },
    });
    const der = Buffer.from(csr.der);
    der[der.length - 5]! ^= 0x01;
    const pem = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const error = await checkedCsrKey(pem, { connector }).catch((e: unknown) => e);
    expect(MalformedInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/\[issuer-test\] the CSR signature does not verify/);
  });

  it('refuses a key type the issuer does not certify, and accepts it when no list is given', async () => {
    const csr = await createCsr({ keys: await generateKeyPair({ algorithm: 'ed25519' }), subject: { CN: 'b.test' } });
    const keyTypes = { allowed: new Set(['rsa']), advice: 'use RSA' };
    const error = await checkedCsrKey(csr.pem, { connector, keyTypes }).catch((e: unknown) => e);
    expect(MalformedInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/carries a ed25519 key .*; use RSA/);
    expect((await checkedCsrKey(csr.pem, { connector })).publicKey.type).toBe('ed25519');
  });

  it('refuses any text that is not a CSR with a MalformedInputError', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string(), async (text) => {
        const error = await checkedCsrKey(text, { connector }).catch((e: unknown) => e);
        expect(MalformedInputError.isInstance(error)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('assertCertifiesCsrKey', () => {
  it('passes for the same key and throws the given message for another key or no leaf', async () => {
    const mine = await checkedCsrKey(
      (await createCsr({ keys: await generateKeyPair({ algorithm: 'ecdsa-p256' }), subject: { CN: 'c.test' } })).pem,
      { connector },
    );
    const other = await checkedCsrKey(
      (await createCsr({ keys: await generateKeyPair({ algorithm: 'ecdsa-p256' }), subject: { CN: 'c.test' } })).pem,
      { connector },
    );
    expect(() => assertCertifiesCsrKey({ spki: mine.spki }, mine.spki, { connector, message: 'x' })).not.toThrow();
    for (const leaf of [{ spki: other.spki }, undefined]) {
      let thrown: unknown;
      try {
        assertCertifiesCsrKey(leaf, mine.spki, { connector, message: 'wrong key' });
      } catch (error) {
        thrown = error;
      }
      expect(ConnectorError.isInstance(thrown)).toBe(true);
      expect((thrown as Error).message).toMatch(/wrong key/);
    }
  });
});
