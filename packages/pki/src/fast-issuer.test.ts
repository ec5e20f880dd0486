import { MalformedInputError } from '@certctl/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthority, createCertificateAuthority, signCertificate } from './certificate-builder.js';
import { bufferSource } from './buffer-source.js';
import { parseCertificate } from './certificate.js';
import { x509 } from './crypto-provider.js';
import { createLeafTemplateIssuer, type LeafProfile } from './fast-issuer.js';
import { exportSpki, generateKeyPair, type KeyAlgorithmName, toKeyObject } from './keys.js';
import { derToPem } from './pem.js';
import { opensslText, opensslVerify } from './test-support/openssl.js';

const profile: LeafProfile = {
  keyUsage: ['digitalSignature'],
  extKeyUsage: ['serverAuth', 'clientAuth'],
  validitySeconds: 3 * 86_400,
  crlUrl: 'http://crl.example.test/ca.crl',
  ocspUrl: 'http://ocsp.example.test',
  caIssuersUrl: 'http://ca.example.test/ca.cer',
  mustStaple: true,
};
const sans = [
  { type: 'dns', value: 'fast.example.test' },
  { type: 'dns', value: '*.fast.example.test' },
  { type: 'ip', value: '203.0.113.9' },
  { type: 'ip', value: '2001:db8::9' },
  { type: 'email', value: 'fast@example.test' },
  { type: 'uri', value: 'spiffe://example.test/fast' },
] as const;

const cas = new Map<KeyAlgorithmName, CertificateAuthority>();

beforeAll(async () => {
  for (const algorithm of ['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'ed25519'] as const) {
    cas.set(
      algorithm,
      await createCertificateAuthority({
        subject: { O: 'certctl test', CN: `Fast CA ${algorithm}` },
        keyAlgorithm: algorithm,
      }),
    );
  }
});

describe('fast leaf issuer', () => {
  it.each(['ecdsa-p256', 'ecdsa-p384', 'rsa-2048', 'ed25519'] as const)(
    'issues leaves under a %s CA that @peculiar/x509 parses and verifies and openssl verifies',
    async (algorithm) => {
      const ca = cas.get(algorithm)!;
      const issuer = createLeafTemplateIssuer({
        issuerCert: ca.certificate.pem,
        issuerKey: toKeyObject(ca.keys.privateKey),
        profile,
      });
      const leafKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
      const leaf = issuer.issue({
        subjectPublicKeySpki: exportSpki(leafKeys.publicKey),
        commonName: 'fast.example.test',
        sans: [...sans],
      });

      const viaLibrary = new x509.X509Certificate(bufferSource(leaf.der));
      expect(Buffer.from(viaLibrary.rawData)).toEqual(Buffer.from(leaf.der));
      expect(
        await viaLibrary.verify({
          publicKey: new x509.X509Certificate(bufferSource(ca.certificate.der)).publicKey,
          signatureOnly: true,
        }),
      ).toBe(true);
      expect(viaLibrary.serialNumber.toLowerCase().replace(/^00/, '')).toBe(leaf.serialNumber);

      const pem = derToPem(leaf.der, 'CERTIFICATE');
      const verified = await opensslVerify({
        caPem: ca.certificate.pem,
        leafPem: pem,
        extraArgs: ['-purpose', 'sslserver'],
      });
      expect(verified.output).toContain('leaf.pem: OK');
      const text = await opensslText('x509', pem);
      expect(text).toContain('DNS:fast.example.test, DNS:*.fast.example.test, IP Address:203.0.113.9');
      expect(text).toMatch(/TLS Feature:\s+status_request/);
    },
  );

  it('produces the same extensions, names and validity as the general builder for the same input', async () => {
    const ca = cas.get('ecdsa-p256')!;
    const issuer = createLeafTemplateIssuer({ issuerCert: ca.certificate.der, issuerKey: ca.keys.privateKey, profile });
    const leafKeys = await generateKeyPair({ algorithm: 'rsa-2048' });
    const notBefore = new Date('2030-01-01T00:00:00Z');
    const fast = parseCertificate(
      issuer.issue({
        subjectPublicKeySpki: exportSpki(leafKeys.publicKey),
        commonName: 'fast.example.test',
        sans: [...sans],
        serial: 'abcdef',
        notBefore,
      }).der,
    );
    const general = parseCertificate(
      (
        await signCertificate({
          subject: { CN: 'fast.example.test' },
          publicKey: leafKeys.publicKey,
          issuer: { certificate: ca.certificate.der, privateKey: ca.keys.privateKey },
          serialNumber: 'abcdef',
          notBefore,
          validitySeconds: profile.validitySeconds,
          keyUsage: profile.keyUsage,
          extKeyUsage: profile.extKeyUsage,
          sans: [...sans],
          crlDistributionPoints: [profile.crlUrl!],
          ocspUrls: [profile.ocspUrl!],
          caIssuersUrls: [profile.caIssuersUrl!],
          mustStaple: true,
        })
      ).der,
    );
    expect(fast.extensions).toEqual(general.extensions);
    for (const field of [
      'subject',
      'issuer',
      'issuerDer',
      'serialNumber',
      'notBefore',
      'notAfter',
      'spki',
      'signatureAlgorithm',
      'version',
    ] as const) {
      expect(fast[field], field).toEqual(general[field]);
    }
  });

  it('marks SANs critical and leaves the subject empty without a common name', async () => {
    const ca = cas.get('ed25519')!;
    const issuer = createLeafTemplateIssuer({
      issuerCert: ca.certificate.der,
      issuerKey: ca.keys.privateKey,
      profile: { keyUsage: ['digitalSignature'], extKeyUsage: ['serverAuth'], validitySeconds: 60 },
    });
    const leafKeys = await generateKeyPair({ algorithm: 'ed25519' });
    const leaf = issuer.issue({
      subjectPublicKeySpki: exportSpki(leafKeys.publicKey),
      sans: [{ type: 'dns', value: 'nocn.example.test' }],
    });
    const parsed = parseCertificate(leaf.der);
    expect(parsed.subject).toBe('');
    expect(parsed.extensions.find((e) => e.oid === '2.5.29.17')?.critical).toBe(true);
    expect(parsed.crlDistributionPoints).toEqual([]);
    const verified = await opensslVerify({ caPem: ca.certificate.pem, leafPem: derToPem(leaf.der, 'CERTIFICATE') });
    expect(verified.output).toContain('OK');
  });

  it('encodes validity after 2049 as GeneralizedTime', async () => {
    const ca = cas.get('ecdsa-p256')!;
    const issuer = createLeafTemplateIssuer({ issuerCert: ca.certificate.der, issuerKey: ca.keys.privateKey, profile });
    const leafKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const notAfter = new Date('2051-06-01T12:00:00Z');
    const parsed = parseCertificate(
      issuer.issue({ subjectPublicKeySpki: exportSpki(leafKeys.publicKey), commonName: 'late', sans: [], notAfter })
        .der,
    );
    expect(parsed.notAfter).toEqual(notAfter);
  });

  it('refuses a key that does not belong to the issuer, a non-CA issuer and a malformed SPKI', async () => {
    const ca = cas.get('ecdsa-p256')!;
    const other = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    expect(() =>
      createLeafTemplateIssuer({ issuerCert: ca.certificate.der, issuerKey: other.privateKey, profile }),
    ).toThrow(/does not match/);
    const leaf = await signCertificate({
      subject: { CN: 'leaf' },
      publicKey: other.publicKey,
      issuer: { certificate: ca.certificate.der, privateKey: ca.keys.privateKey },
    });
    expect(() => createLeafTemplateIssuer({ issuerCert: leaf.der, issuerKey: other.privateKey, profile })).toThrow(
      /not a CA/,
    );
    const issuer = createLeafTemplateIssuer({ issuerCert: ca.certificate.der, issuerKey: ca.keys.privateKey, profile });
    try {
      issuer.issue({ subjectPublicKeySpki: Uint8Array.of(0x30, 0x03, 0x02, 0x01), sans: [] });
      expect.unreachable();
    } catch (error) {
      expect(MalformedInputError.isInstance(error)).toBe(true);
    }
  });
});
