import { MalformedInputError } from '@certctl/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { normalizeSerialHex } from './asn1-certificate-fields.js';
import { fuzzParser } from './asn1-test-fuzz.js';
import { makeTestCa, type TestIdentity } from './asn1-test-pki.js';
import { buildCrl, type CrlEntryInput, parseCrl, verifyCrlSignature } from './crl.js';
import { derToPem } from './pem.js';
import { runOpenssl } from './test-support/openssl.js';

const thisUpdate = new Date('2025-06-01T00:00:00Z');
const nextUpdate = new Date('2025-06-08T00:00:00Z');

const sampleEntries: CrlEntryInput[] = [
  { serial: '01', revokedAt: new Date('2025-05-01T10:00:00Z'), reason: 'keyCompromise' },
  { serial: 'ff00aa', revokedAt: new Date('2025-05-02T11:30:00Z'), reason: 'superseded' },
  { serial: '7f:12:34', revokedAt: new Date('2025-05-03T12:00:00Z') },
  { serial: '0080', revokedAt: new Date('2051-01-01T00:00:00Z'), reason: 'cessationOfOperation' },
];

async function opensslCrlText(crl: Uint8Array, ca: TestIdentity): Promise<{ stdout: string; stderr: string }> {
  const result = await runOpenssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'ca.pem', '-noout', '-text'], {
    files: { 'crl.der': crl, 'ca.pem': ca.certPem },
  });
  return { stdout: result.stdout, stderr: result.stderr };
}

describe('CRL', () => {
  let rsaCa: TestIdentity;
  let ecCa: TestIdentity;
  let edCa: TestIdentity;

  beforeAll(async () => {
    [rsaCa, ecCa, edCa] = await Promise.all([
      makeTestCa('rsa', 'CRL RSA CA'),
      makeTestCa('ec', 'CRL EC CA'),
      makeTestCa('ed25519', 'CRL Ed25519 CA'),
    ]);
  });

  it.each([
    ['RSA', () => rsaCa, 'sha256WithRSAEncryption'],
    ['ECDSA', () => ecCa, 'ecdsa-with-SHA256'],
    ['Ed25519', () => edCa, 'ED25519'],
  ])('openssl verifies a %s-signed CRL and lists serials with reasons', async (_name, ca, sigName) => {
    const crl = await buildCrl({
      issuerCertificate: ca().certPem,
      signingKey: ca().key,
      crlNumber: 42n,
      thisUpdate,
      nextUpdate,
      entries: sampleEntries,
    });
    const { stdout, stderr } = await opensslCrlText(crl, ca());
    expect(stderr).toContain('verify OK');
    expect(stdout).toContain(`Signature Algorithm: ${sigName}`);
    expect(stdout).toMatch(/X509v3 CRL Number:\s+42/);
    expect(stdout).toContain('X509v3 Authority Key Identifier');
    expect(stdout).toMatch(
      /Serial Number: 01\s+Revocation Date: May {2}1 10:00:00 2025 GMT\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s+Key Compromise/,
    );
    expect(stdout).toMatch(
      /Serial Number: FF00AA\s+Revocation Date: May {2}2 11:30:00 2025 GMT\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s+Superseded/,
    );
    expect(stdout).toMatch(/Serial Number: 7F1234\s+Revocation Date: May {2}3 12:00:00 2025 GMT\n/);
    expect(stdout).toMatch(
      /Serial Number: 80\s+Revocation Date: Jan {2}1 00:00:00 2051 GMT\s+CRL entry extensions:\s+X509v3 CRL Reason Code:\s+Cessation Of Operation/,
    );
    expect(stdout).toContain('Next Update: Jun  8 00:00:00 2025 GMT');
  });

  it('parses its own CRL back: issuer, numbers, entries with reasons, signature', async () => {
    const crl = await buildCrl({
      issuerCertificate: ecCa.certDer,
      signingKey: ecCa.keyPem,
      crlNumber: 7,
      deltaOfCrlNumber: 5,
      thisUpdate,
      nextUpdate,
      entries: sampleEntries,
    });
    const parsed = parseCrl(derToPem(crl, 'X509 CRL'));
    expect(parsed.version).toBe(2);
    expect(parsed.issuer).toBe('CN=CRL EC CA, O=certctl tests');
    expect(parsed.crlNumber).toBe(7n);
    expect(parsed.deltaOfCrlNumber).toBe(5n);
    expect(parsed.thisUpdate).toEqual(thisUpdate);
    expect(parsed.nextUpdate).toEqual(nextUpdate);
    expect(parsed.authorityKeyIdentifier?.length).toBe(20);
    expect(parsed.entries.map((e) => [e.serial, e.revokedAt.toISOString(), e.reason])).toEqual([
      ['01', '2025-05-01T10:00:00.000Z', 'keyCompromise'],
      ['ff00aa', '2025-05-02T11:30:00.000Z', 'superseded'],
      ['7f1234', '2025-05-03T12:00:00.000Z', undefined],
      ['80', '2051-01-01T00:00:00.000Z', 'cessationOfOperation'],
    ]);
    expect(verifyCrlSignature(parsed, ecCa.certPem)).toBe(true);
    expect(verifyCrlSignature(parsed, rsaCa.certPem)).toBe(false);
  });

  it('parses a CRL made by openssl', async () => {
    const files = {
      'ca.pem': rsaCa.certPem,
      'ca.key': rsaCa.keyPem,
      'index.txt': 'R\t351231000000Z\t250501100000Z,keyCompromise\t0A1B\tunknown\t/CN=x\n',
      crlnumber: '1000\n',
      'ca.cnf':
        '[ca]\ndefault_ca=d\n[d]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=7\n',
    };
    const result = await runOpenssl(
      ['ca', '-config', 'ca.cnf', '-gencrl', '-cert', 'ca.pem', '-keyfile', 'ca.key', '-out', 'crl.pem'],
      {
        files,
        outputs: ['crl.pem'],
      },
    );
    const parsed = parseCrl(result.outputs['crl.pem']!.toString());
    expect(parsed.crlNumber).toBe(0x1000n);
    expect(parsed.entries).toEqual([
      {
        serial: '0a1b',
        revokedAt: new Date('2025-05-01T10:00:00Z'),
        reason: 'keyCompromise',
        invalidityDate: undefined,
      },
    ]);
    expect(verifyCrlSignature(parsed, rsaCa.certDer)).toBe(true);
  });

  it('builds an empty CRL without a revokedCertificates field', async () => {
    const crl = await buildCrl({
      issuerCertificate: ecCa.certPem,
      signingKey: ecCa.key,
      crlNumber: 1,
      thisUpdate,
      nextUpdate,
      entries: [],
    });
    const { stdout, stderr } = await opensslCrlText(crl, ecCa);
    expect(stderr).toContain('verify OK');
    expect(stdout).toContain('No Revoked Certificates.');
    expect(parseCrl(crl).entries).toEqual([]);
  });

  it('builds a 100,000-entry CRL that openssl verifies and lists in full', async () => {
    const base = Date.parse('2025-01-01T00:00:00Z');
    const reasons = ['keyCompromise', 'superseded', undefined, 'affiliationChanged'] as const;
    const entries = Array.from({ length: 100_000 }, (_, i) => ({
      serial: (0x1000000000000n + BigInt(i) * 7919n).toString(16),
      revokedAt: new Date(base + Math.floor(i / 10) * 1000),
      reason: reasons[i % 4],
    }));
    const crl = await buildCrl({
      issuerCertificate: ecCa.certPem,
      signingKey: ecCa.key,
      crlNumber: 99,
      thisUpdate,
      nextUpdate,
      entries,
    });
    const { stdout, stderr } = await opensslCrlText(crl, ecCa);
    expect(stderr).toContain('verify OK');
    expect(stdout.match(/Serial Number: /g)?.length).toBe(100_000);
    expect(stdout.match(/Key Compromise/g)?.length).toBe(25_000);
    const parsed = parseCrl(crl);
    expect(parsed.entries).toHaveLength(100_000);
    expect(BigInt(`0x${parsed.entries[99_999]?.serial}`)).toBe(BigInt(`0x${entries[99_999]?.serial}`));
  });

  it('writes every serial form (separators, case, leading zeros, top bit) as the general serial parser reads it', async () => {
    const separator = fc.constantFrom('', '', '', ':', ' ', '\t', '\u00a0');
    const serial = fc
      .array(fc.tuple(fc.constantFrom(...'0123456789abcdefABCDEF'), separator), { minLength: 1, maxLength: 80 })
      .map((parts) => parts.map(([digit, sep]) => digit + sep).join(''));
    await fc.assert(
      fc.asyncProperty(fc.array(serial, { minLength: 1, maxLength: 20 }), async (serials) => {
        const crl = await buildCrl({
          issuerCertificate: ecCa.certPem,
          signingKey: ecCa.key,
          crlNumber: 9,
          thisUpdate,
          nextUpdate,
          entries: serials.map((s, i) => ({
            serial: s,
            revokedAt: thisUpdate,
            reason: i % 2 ? 'superseded' : undefined,
          })),
        });
        expect(parseCrl(crl).entries.map((e) => e.serial)).toEqual(serials.map(normalizeSerialHex));
      }),
      { numRuns: 200 },
    );
  });

  it('rejects bad entries and date order with MalformedInputError', async () => {
    const build = (entries: CrlEntryInput[], next = nextUpdate) =>
      buildCrl({
        issuerCertificate: ecCa.certPem,
        signingKey: ecCa.key,
        crlNumber: 1,
        thisUpdate,
        nextUpdate: next,
        entries,
      });
    await expect(build([{ serial: 'xyz', revokedAt: thisUpdate }])).rejects.toSatisfy(MalformedInputError.isInstance);
    await expect(build([{ serial: '01', revokedAt: new Date(Number.NaN) }])).rejects.toSatisfy(
      MalformedInputError.isInstance,
    );
    await expect(build([], thisUpdate)).rejects.toSatisfy(MalformedInputError.isInstance);
  });

  it('parseCrl throws only MalformedInputError on random and mutated input', async () => {
    const valid = await buildCrl({
      issuerCertificate: ecCa.certPem,
      signingKey: ecCa.key,
      crlNumber: 3,
      thisUpdate,
      nextUpdate,
      entries: sampleEntries,
    });
    fuzzParser(
      (bytes) => {
        const parsed = parseCrl(bytes);
        verifyCrlSignature(parsed, ecCa.certDer);
      },
      [valid],
    );
  });
});
