import { execFileSync } from 'node:child_process';
import { createHash, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findSecretCertificates } from './secret-certificates.js';

let dir: string;
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
const opensslFingerprint = (file: string) =>
  /=([0-9A-F:]+)/
    .exec(openssl('x509', '-in', file, '-noout', '-fingerprint', '-sha256').toString())![1]!
    .replaceAll(':', '')
    .toLowerCase();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'secret-certs-'));
  openssl(
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30'],
    ...['-subj', '/CN=Secret Test CA', '-keyout', 'ca.key', '-out', 'ca.pem'],
  );
  openssl(
    ...['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', '/CN=app.example.test'],
    ...['-addext', 'subjectAltName=DNS:app.example.test,IP:127.0.0.1', '-keyout', 'leaf.key', '-out', 'leaf.csr'],
  );
  openssl(
    ...['x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-days', '10', '-copy_extensions'],
    ...['copy', '-out', 'leaf.pem'],
  );
  openssl('x509', '-in', 'leaf.pem', '-outform', 'DER', '-out', 'leaf.der');
  const p12 = (out: string, pass: string) =>
    openssl(
      ...['pkcs12', '-export', '-inkey', 'leaf.key', '-in', 'leaf.pem', '-certfile', 'ca.pem'],
      ...['-passout', `pass:${pass}`, '-out', out],
    );
  p12('nopass.p12', '');
  p12('pass.p12', 'correct horse');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const file = (name: string) => new Uint8Array(readFileSync(join(dir, name)));
const text = (name: string) => readFileSync(join(dir, name), 'utf8');

describe('findSecretCertificates', () => {
  it('reads a PEM bundle with its key, returning only the certificates with openssl fingerprints', () => {
    const found = findSecretCertificates(text('leaf.key') + text('leaf.pem') + text('ca.pem'));
    expect(found.certificates.map((c) => c.format)).toEqual(['pem', 'pem']);
    expect(found.certificates[0]!.metadata.fingerprint_sha256).toBe(opensslFingerprint('leaf.pem'));
    expect(found.certificates[1]!.metadata.fingerprint_sha256).toBe(opensslFingerprint('ca.pem'));
    expect(found.certificates[1]!.metadata.is_ca).toBe('true');
    expect(found.certificates[0]!.metadata).toMatchObject({
      common_name: 'app.example.test',
      dns_names: 'app.example.test',
      ip_addresses: '127.0.0.1',
      is_ca: 'false',
    });
    expect(JSON.stringify(found)).not.toMatch(/PRIVATE KEY/);
  });

  it('reads PEM inside a JSON secret, DER bytes and base64 DER text', () => {
    const json = JSON.stringify({ certificate: text('leaf.pem'), private_key: text('leaf.key') });
    expect(findSecretCertificates(json).certificates).toHaveLength(1);
    const der = findSecretCertificates(file('leaf.der'));
    expect(der.certificates.map((c) => [c.format, c.metadata.fingerprint_sha256])).toEqual([
      ['der', opensslFingerprint('leaf.pem')],
    ]);
    expect(findSecretCertificates(Buffer.from(file('leaf.der')).toString('base64')).certificates).toHaveLength(1);
    // Text kept in a binary secret.
    expect(findSecretCertificates(new TextEncoder().encode(json)).certificates).toHaveLength(1);
    expect(findSecretCertificates(new TextEncoder().encode(text('leaf.pem'))).certificates).toHaveLength(1);
  });

  it('opens a PKCS#12 without a password and one with the configured password; keys never come out', () => {
    const open = findSecretCertificates(file('nopass.p12'));
    expect(open.certificates.map((c) => [c.format, c.metadata.fingerprint_sha256])).toEqual([
      ['pkcs12', opensslFingerprint('leaf.pem')],
      ['pkcs12', opensslFingerprint('ca.pem')],
    ]);
    const locked = findSecretCertificates(file('pass.p12'));
    expect(locked).toEqual({ certificates: [], unreadable: 'PKCS#12 content needs a password: set pkcs12_password' });
    const wrong = findSecretCertificates(file('pass.p12'), { pkcs12Password: 'wrong' });
    expect(wrong.certificates).toEqual([]);
    expect(wrong.unreadable).toMatch(/configured pkcs12_password/);
    const unlocked = findSecretCertificates(file('pass.p12'), { pkcs12Password: 'correct horse' });
    expect(unlocked.certificates.map((c) => c.metadata.fingerprint_sha256)).toEqual([
      opensslFingerprint('leaf.pem'),
      opensslFingerprint('ca.pem'),
    ]);
    const scalar = Buffer.from(createPrivateKey(text('leaf.key')).export({ format: 'jwk' }).d!, 'base64url');
    for (const certificate of unlocked.certificates) {
      expect(Buffer.from(certificate.der).includes(scalar)).toBe(false);
    }
  });

  it('yields nothing for secrets that are not certificates', () => {
    for (const value of ['hunter2', '{"password":"x"}', '', 'A'.repeat(100), new Uint8Array([0x30, 0x03, 1, 2, 3])]) {
      expect(findSecretCertificates(value).certificates).toEqual([]);
    }
  });

  it('never throws on arbitrary bytes or text, and whatever it returns is a certificate with its own fingerprint', () => {
    const leafDer = file('leaf.der');
    const p12 = file('nopass.p12');
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 512 }),
      // Mutated real inputs reach deeper into the DER and PKCS#12 parsers.
      fc.tuple(fc.constantFrom(leafDer, p12), fc.nat(), fc.integer({ min: 0, max: 255 })).map(([base, at, value]) => {
        const copy = base.slice();
        copy[at % copy.length] = value;
        return copy;
      }),
      fc.tuple(fc.constantFrom(leafDer, p12), fc.nat()).map(([base, cut]) => base.slice(0, cut % base.length)),
    );
    const texts = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string().map((junk) => `${junk}\n${text('leaf.pem')}${junk}`),
      fc.string().map((junk) => `-----BEGIN CERTIFICATE-----\n${junk}\n-----END CERTIFICATE-----\n`),
      fc.json(),
    );
    fc.assert(
      fc.property(fc.oneof(bytes, texts), (value) => {
        const found = findSecretCertificates(value);
        for (const certificate of found.certificates) {
          expect(certificate.metadata.fingerprint_sha256).toBe(
            createHash('sha256').update(certificate.der).digest('hex'),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('a PEM bundle in any order with junk between yields exactly its certificates', () => {
    const blocks = [text('leaf.key'), text('leaf.pem'), text('ca.pem')];
    fc.assert(
      fc.property(
        fc.shuffledSubarray(blocks, { minLength: 1 }),
        fc.array(fc.constantFrom('\n', 'x', ' # note\n')),
        (picked, junk) => {
          const value = picked.map((block, i) => `${junk[i] ?? ''}${block}`).join('');
          const found = findSecretCertificates(value);
          expect(found.certificates).toHaveLength(picked.filter((b) => b.includes('CERTIFICATE')).length);
        },
      ),
      { numRuns: 50 },
    );
  });
});
