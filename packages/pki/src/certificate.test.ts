import { MalformedInputError } from '@certctl/core';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthority, createCertificateAuthority, signCertificate } from './certificate-builder.js';
import { parseCertificate, parseCertificateBundle, readCertificateSummary } from './certificate.js';
import { certificateFingerprint } from './fingerprint.js';
import { exportPrivateKeyPem, generateKeyPair } from './keys.js';
import { opensslText, opensslVerify, runOpenssl } from './test-support/openssl.js';

let root: CertificateAuthority;
let intermediate: CertificateAuthority;

beforeAll(async () => {
  root = await createCertificateAuthority({ subject: { C: 'DE', O: 'certctl test', CN: 'Test Root' }, pathLength: 1 });
  intermediate = await createCertificateAuthority({
    subject: 'CN=Test Intermediate, O=certctl test',
    issuer: { certificate: root.certificate.der, privateKey: root.keys.privateKey },
    pathLength: 0,
    crlDistributionPoints: ['http://crl.example.test/root.crl'],
  });
});

describe('certificate builder and parser', () => {
  it('readCertificateSummary matches parseCertificate and rejects garbage', async () => {
    for (const certificate of [root.certificate.pem, intermediate.certificate.der]) {
      const full = parseCertificate(certificate);
      expect(readCertificateSummary(certificate)).toEqual({
        der: full.der,
        pem: full.pem,
        serialNumber: full.serialNumber,
        notBefore: full.notBefore,
        notAfter: full.notAfter,
        publicKey: full.publicKey,
        spki: full.spki,
      });
    }
    expect(() => readCertificateSummary(root.certificate.der.subarray(0, 40))).toThrow(MalformedInputError);
    expect(() => readCertificateSummary(Uint8Array.of(0x30, 0x00))).toThrow(MalformedInputError);
  });

  it('issues a leaf with every profile extension, which openssl shows and verifies', async () => {
    const leafKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const leaf = await signCertificate({
      subject: { CN: 'www.example.test' },
      publicKey: leafKeys.publicKey,
      issuer: { certificate: intermediate.certificate.pem, privateKey: intermediate.keys.privateKey },
      validitySeconds: 7 * 86_400,
      extKeyUsage: ['serverAuth', 'clientAuth'],
      sans: [
        { type: 'dns', value: 'www.example.test' },
        { type: 'dns', value: 'example.test' },
        { type: 'ip', value: '192.0.2.7' },
        { type: 'ip', value: '2001:db8::1' },
        { type: 'email', value: 'ops@example.test' },
        { type: 'uri', value: 'spiffe://example.test/web' },
      ],
      crlDistributionPoints: ['http://crl.example.test/int.crl'],
      ocspUrls: ['http://ocsp.example.test'],
      caIssuersUrls: ['http://ca.example.test/int.cer'],
      mustStaple: true,
    });
    expect(leaf.serialNumber).toMatch(/^[0-7][0-9a-f]{31}$/);

    const text = await opensslText('x509', leaf.pem);
    expect(text).toContain(
      'DNS:www.example.test, DNS:example.test, IP Address:192.0.2.7, IP Address:2001:DB8:0:0:0:0:0:1, email:ops@example.test, URI:spiffe://example.test/web',
    );
    expect(text).toMatch(/X509v3 Key Usage: critical\s+Digital Signature/);
    expect(text).toContain('TLS Web Server Authentication, TLS Web Client Authentication');
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toContain('URI:http://crl.example.test/int.crl');
    expect(text).toContain('OCSP - URI:http://ocsp.example.test');
    expect(text).toContain('CA Issuers - URI:http://ca.example.test/int.cer');
    expect(text).toMatch(/TLS Feature:\s+status_request/);
    expect(text).toContain('X509v3 Subject Key Identifier');
    expect(text).toContain('X509v3 Authority Key Identifier');

    const verified = await opensslVerify({
      caPem: root.certificate.pem,
      untrustedPem: intermediate.certificate.pem,
      leafPem: leaf.pem,
    });
    expect(verified.output).toContain('OK');
    expect(verified.ok).toBe(true);

    const parsed = parseCertificate(leaf.pem);
    const parsedIntermediate = parseCertificate(intermediate.certificate.der);
    expect(parsed).toMatchObject({
      version: 3,
      serialNumber: leaf.serialNumber,
      subject: 'CN=www.example.test',
      subjectCommonName: 'www.example.test',
      issuer: 'CN=Test Intermediate, O=certctl test',
      issuerCommonName: 'Test Intermediate',
      keyUsage: ['digitalSignature'],
      extKeyUsage: ['serverAuth', 'clientAuth'],
      basicConstraints: { ca: false },
      crlDistributionPoints: ['http://crl.example.test/int.crl'],
      ocspUrls: ['http://ocsp.example.test'],
      caIssuersUrls: ['http://ca.example.test/int.cer'],
      mustStaple: true,
      selfIssued: false,
      signatureAlgorithm: 'ecdsa-with-SHA256',
      publicKey: { type: 'ec', curve: 'P-256', bits: 256 },
    });
    expect(parsed.sans).toEqual([
      { type: 'dns', value: 'www.example.test' },
      { type: 'dns', value: 'example.test' },
      { type: 'ip', value: '192.0.2.7' },
      { type: 'ip', value: '2001:db8::1' },
      { type: 'email', value: 'ops@example.test' },
      { type: 'uri', value: 'spiffe://example.test/web' },
    ]);
    expect(parsed.authorityKeyIdentifier).toBe(parsedIntermediate.subjectKeyIdentifier);
    expect(parsed.notAfter.getTime() - parsed.notBefore.getTime()).toBe(7 * 86_400_000);
    expect(parsedIntermediate.basicConstraints).toEqual({ ca: true, pathLength: 0 });
    expect(parsedIntermediate.keyUsage).toEqual(['digitalSignature', 'keyCertSign', 'cRLSign']);
    expect(parseCertificate(root.certificate.pem).selfIssued).toBe(true);
  });

  it('writes name constraints that openssl shows', async () => {
    const constrained = await createCertificateAuthority({
      subject: { CN: 'Constrained CA' },
      issuer: { certificate: root.certificate.der, privateKey: root.keys.privateKey },
      nameConstraints: {
        permitted: [
          { type: 'dns', value: 'example.test' },
          { type: 'ip', value: '10.0.0.0/8' },
          { type: 'email', value: 'example.test' },
        ],
        excluded: [{ type: 'dns', value: 'secret.example.test' }],
      },
    });
    const text = await opensslText('x509', constrained.certificate.pem);
    expect(text).toMatch(
      /X509v3 Name Constraints: critical\s+Permitted:\s+DNS:example.test\s+IP:10.0.0.0\/255.0.0.0\s+email:example.test\s+Excluded:\s+DNS:secret.example.test/,
    );
    expect(parseCertificate(constrained.certificate.der).nameConstraints).toEqual({
      permitted: [
        { type: 'dns', value: 'example.test' },
        { type: 'ip', value: '10.0.0.0/8' },
        { type: 'email', value: 'example.test' },
      ],
      excluded: [{ type: 'dns', value: 'secret.example.test' }],
    });
  });

  it('computes SHA-256 and SHA-1 fingerprints equal to openssl', async () => {
    const pem = root.certificate.pem;
    const sha256 = await runOpenssl(['x509', '-in', 'c.pem', '-noout', '-fingerprint', '-sha256'], {
      files: { 'c.pem': pem },
    });
    const sha1 = await runOpenssl(['x509', '-in', 'c.pem', '-noout', '-fingerprint', '-sha1'], {
      files: { 'c.pem': pem },
    });
    expect(sha256.stdout.trim()).toBe(`sha256 Fingerprint=${certificateFingerprint(pem).colon}`);
    expect(sha1.stdout.trim()).toBe(`sha1 Fingerprint=${certificateFingerprint(pem, 'sha1').colon}`);
    expect(certificateFingerprint(root.certificate.der).hex).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps a serial with the high bit set positive and reports it without the sign byte', async () => {
    const keys = await generateKeyPair({ algorithm: 'ed25519' });
    const cert = await signCertificate({
      subject: { CN: 'x' },
      publicKey: keys.publicKey,
      signingKey: keys.privateKey,
      serialNumber: '0087654321',
    });
    const serial = await runOpenssl(['x509', '-in', 'c.pem', '-noout', '-serial'], { files: { 'c.pem': cert.pem } });
    expect(serial.stdout.trim()).toBe('serial=87654321');
    const parsed = parseCertificate(cert.pem);
    expect(parsed.serialNumber).toBe('87654321');
    expect(Buffer.from(parsed.serialNumberBytes).toString('hex')).toBe('0087654321');
    expect(parsed.publicKey.type).toBe('ed25519');
    expect(parsed.signatureAlgorithm).toBe('ED25519');
  });

  it.each([
    ['RSA', ['-newkey', 'rsa:2048'], { type: 'rsa', bits: 2048 }],
    ['EC', ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384'], { type: 'ec', bits: 384, curve: 'P-384' }],
    ['Ed25519', ['-newkey', 'ed25519'], { type: 'ed25519' }],
  ])('parses a %s certificate made by openssl req -x509', async (_name, keyArgs, publicKey) => {
    const { outputs } = await runOpenssl(
      [
        'req',
        '-x509',
        ...keyArgs,
        '-nodes',
        '-keyout',
        'k.pem',
        '-out',
        'c.pem',
        '-days',
        '30',
        '-subj',
        '/O=Acme/CN=openssl.example.test',
        '-addext',
        'subjectAltName=DNS:openssl.example.test,IP:198.51.100.1',
        '-addext',
        'extendedKeyUsage=serverAuth',
        '-addext',
        'authorityInfoAccess=OCSP;URI:http://ocsp.example.test',
      ],
      { outputs: ['c.pem'] },
    );
    const parsed = parseCertificate(outputs['c.pem']!.toString());
    expect(parsed).toMatchObject({
      subject: 'O=Acme, CN=openssl.example.test',
      subjectCommonName: 'openssl.example.test',
      selfIssued: true,
      publicKey,
      extKeyUsage: ['serverAuth'],
      ocspUrls: ['http://ocsp.example.test'],
      basicConstraints: { ca: true },
    });
    expect(parsed.sans).toEqual([
      { type: 'dns', value: 'openssl.example.test' },
      { type: 'ip', value: '198.51.100.1' },
    ]);
    expect(parsed.subjectKeyIdentifier).toBe(parsed.authorityKeyIdentifier);
  });

  it('parses every certificate of a PEM bundle', () => {
    const bundle = `${intermediate.certificate.pem}\n${root.certificate.pem}`;
    expect(parseCertificateBundle(bundle).map((c) => c.subjectCommonName)).toEqual(['Test Intermediate', 'Test Root']);
  });

  it('rejects arbitrary and mutated certificate bytes with MalformedInputError only (fuzz)', () => {
    const valid = intermediate.certificate.der;
    const mutated = fc
      .array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })
      .map((edits) => {
        const copy = valid.slice();
        for (const [i, v] of edits) copy[i] = v;
        return copy;
      });
    const truncated = fc.nat(valid.length - 1).map((n) => valid.slice(0, n));
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated, truncated), (der) => {
        try {
          parseCertificate(der);
        } catch (error) {
          if (!MalformedInputError.isInstance(error)) throw error;
        }
      }),
      { seed: 42, numRuns: 300 },
    );
  });

  it('exports the issuing key in a form openssl can use', async () => {
    const pem = exportPrivateKeyPem(root.keys.privateKey);
    const check = await runOpenssl(['pkey', '-in', 'k.pem', '-noout', '-check'], { files: { 'k.pem': pem } });
    expect(check.stdout + check.stderr).toContain('valid');
  });
});
