import { beforeAll, describe, expect, it } from 'vitest';
import { type CertificateAuthority, createCertificateAuthority, signCertificate } from './certificate-builder.js';
import { buildChain, type PathValidationFailureReason, validatePath } from './chain.js';
import type { SubjectAltName } from './general-names.js';
import { generateKeyPair } from './keys.js';
import { dnsNameMatchesConstraint, emailMatchesConstraint } from './name-constraints.js';
import { opensslVerify } from './test-support/openssl.js';

let root: CertificateAuthority;
let intermediate: CertificateAuthority;
let leafKeys: CryptoKeyPair;

const issuedBy = (ca: CertificateAuthority) => ({ certificate: ca.certificate.der, privateKey: ca.keys.privateKey });

async function leafUnder(
  ca: CertificateAuthority,
  subject: Record<string, string>,
  sans: SubjectAltName[],
  extra: { notBefore?: Date; validitySeconds?: number } = {},
) {
  return signCertificate({
    subject,
    publicKey: leafKeys.publicKey,
    issuer: issuedBy(ca),
    sans,
    extKeyUsage: ['serverAuth'],
    ...extra,
  });
}

/** Checks that openssl and validatePath agree: both accept, or both reject (ours with `reason`). */
async function expectBothReject(
  leafPem: string,
  chain: CertificateAuthority[],
  anchor: CertificateAuthority,
  reason: PathValidationFailureReason,
  opensslError: RegExp,
) {
  const untrustedPem = chain.map((c) => c.certificate.pem).join('');
  const openssl = await opensslVerify({
    caPem: anchor.certificate.pem,
    untrustedPem: untrustedPem || undefined,
    leafPem,
  });
  expect(openssl.ok, openssl.output).toBe(false);
  expect(openssl.output).toMatch(opensslError);
  const ours = await validatePath({
    leaf: leafPem,
    intermediates: chain.map((c) => c.certificate.der),
    trustAnchors: [anchor.certificate.pem],
  });
  expect(ours.valid).toBe(false);
  if (!ours.valid) expect(ours.reason, ours.message).toBe(reason);
}

beforeAll(async () => {
  root = await createCertificateAuthority({ subject: { O: 'certctl test', CN: 'Chain Root' } });
  intermediate = await createCertificateAuthority({
    subject: { O: 'certctl test', CN: 'Chain Intermediate' },
    issuer: issuedBy(root),
    keyAlgorithm: 'rsa-2048',
  });
  leafKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
});

describe('chain building', () => {
  it('orders an unordered pool leaf to root and ignores unrelated certificates', async () => {
    const stranger = await createCertificateAuthority({ subject: { CN: 'Stranger' } });
    const leaf = await leafUnder(intermediate, { CN: 'ok.example.test' }, [{ type: 'dns', value: 'ok.example.test' }]);
    const built = await buildChain({
      leaf: leaf.pem,
      pool: [root.certificate.pem, stranger.certificate.der, intermediate.certificate.pem],
    });
    expect(built.complete).toBe(true);
    expect(built.certificates.map((c) => c.subjectCommonName)).toEqual([
      'ok.example.test',
      'Chain Intermediate',
      'Chain Root',
    ]);

    const partial = await buildChain({ leaf: leaf.der, pool: [intermediate.certificate.der] });
    expect(partial.complete).toBe(false);
    expect(partial.certificates).toHaveLength(2);
  });

  it('does not chain to a CA with the same name but another key', async () => {
    const impostor = await createCertificateAuthority({
      subject: { O: 'certctl test', CN: 'Chain Intermediate' },
      issuer: issuedBy(root),
    });
    const leaf = await leafUnder(intermediate, { CN: 'ok.example.test' }, []);
    const built = await buildChain({
      leaf: leaf.der,
      pool: [impostor.certificate.der, intermediate.certificate.der, root.certificate.der],
    });
    expect(Buffer.from(built.certificates[1]!.der).equals(Buffer.from(intermediate.certificate.der))).toBe(true);
  });
});

describe('path validation', () => {
  it('accepts a valid chain like openssl does', async () => {
    const leaf = await leafUnder(intermediate, { CN: 'ok.example.test' }, [{ type: 'dns', value: 'ok.example.test' }]);
    const openssl = await opensslVerify({
      caPem: root.certificate.pem,
      untrustedPem: intermediate.certificate.pem,
      leafPem: leaf.pem,
    });
    expect(openssl.ok, openssl.output).toBe(true);
    const ours = await validatePath({
      leaf: leaf.pem,
      intermediates: [intermediate.certificate.pem],
      trustAnchors: [root.certificate.pem],
    });
    expect(ours.valid).toBe(true);
    expect(ours.chain.map((c) => c.subjectCommonName)).toEqual(['ok.example.test', 'Chain Intermediate', 'Chain Root']);
  });

  it('rejects a SAN outside a permitted DNS subtree, like openssl', async () => {
    const constrained = await createCertificateAuthority({
      subject: { CN: 'Constrained' },
      issuer: issuedBy(root),
      nameConstraints: {
        permitted: [{ type: 'dns', value: 'example.test' }],
        excluded: [{ type: 'dns', value: 'secret.example.test' }],
      },
    });
    const good = await leafUnder(constrained, { CN: 'www.example.test' }, [{ type: 'dns', value: 'www.example.test' }]);
    expect(
      (
        await opensslVerify({
          caPem: root.certificate.pem,
          untrustedPem: constrained.certificate.pem,
          leafPem: good.pem,
        })
      ).ok,
    ).toBe(true);
    expect(
      (
        await validatePath({
          leaf: good.der,
          intermediates: [constrained.certificate.der],
          trustAnchors: [root.certificate.der],
        })
      ).valid,
    ).toBe(true);

    const outside = await leafUnder(constrained, { CN: 'www.example.test' }, [
      { type: 'dns', value: 'www.example.test' },
      { type: 'dns', value: 'evil.other.test' },
    ]);
    await expectBothReject(
      outside.pem,
      [constrained],
      root,
      'name-constraints-violated',
      /permitted subtree violation/,
    );
    const excluded = await leafUnder(constrained, { CN: 'db.secret.example.test' }, [
      { type: 'dns', value: 'db.secret.example.test' },
    ]);
    await expectBothReject(
      excluded.pem,
      [constrained],
      root,
      'name-constraints-violated',
      /excluded subtree violation/,
    );
  });

  it('applies DNS constraints to a hostname-like CN when there is no SAN, like openssl', async () => {
    const constrained = await createCertificateAuthority({
      subject: { CN: 'Constrained CN' },
      issuer: issuedBy(root),
      nameConstraints: { permitted: [{ type: 'dns', value: 'example.test' }] },
    });
    const leaf = await leafUnder(constrained, { CN: 'host.other.test' }, []);
    await expectBothReject(
      leaf.pem,
      [constrained],
      root,
      'name-constraints-violated',
      /subtree violation|name constraints/i,
    );
  });

  it('rejects IP and email names outside their permitted subtrees', async () => {
    const constrained = await createCertificateAuthority({
      subject: { CN: 'Constrained IP' },
      issuer: issuedBy(root),
      nameConstraints: {
        permitted: [
          { type: 'ip', value: '10.0.0.0/8' },
          { type: 'email', value: 'example.test' },
          { type: 'dns', value: 'example.test' },
        ],
      },
    });
    const inside = await leafUnder(constrained, { CN: 'a.example.test' }, [
      { type: 'ip', value: '10.1.2.3' },
      { type: 'email', value: 'ops@example.test' },
    ]);
    expect(
      (
        await validatePath({
          leaf: inside.der,
          intermediates: [constrained.certificate.der],
          trustAnchors: [root.certificate.der],
        })
      ).valid,
    ).toBe(true);
    const ip = await leafUnder(constrained, { CN: 'a.example.test' }, [{ type: 'ip', value: '192.168.1.1' }]);
    await expectBothReject(ip.pem, [constrained], root, 'name-constraints-violated', /permitted subtree violation/);
    const email = await leafUnder(constrained, { CN: 'a.example.test' }, [{ type: 'email', value: 'ops@other.test' }]);
    await expectBothReject(email.pem, [constrained], root, 'name-constraints-violated', /permitted subtree violation/);
  });

  it('rejects a path longer than the root pathLength allows, like openssl', async () => {
    const strictRoot = await createCertificateAuthority({ subject: { CN: 'Strict Root' }, pathLength: 0 });
    const sub = await createCertificateAuthority({ subject: { CN: 'Too Deep' }, issuer: issuedBy(strictRoot) });
    const leaf = await leafUnder(sub, { CN: 'deep.example.test' }, [{ type: 'dns', value: 'deep.example.test' }]);
    await expectBothReject(leaf.pem, [sub], strictRoot, 'path-length-exceeded', /path length constraint exceeded/);
  });

  it('rejects an issuer that is not a CA and one without keyCertSign, like openssl', async () => {
    const notCaKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const notCa = await signCertificate({
      subject: { CN: 'Not A CA' },
      publicKey: notCaKeys.publicKey,
      issuer: issuedBy(root),
    });
    const underNotCa = await signCertificate({
      subject: { CN: 'x.example.test' },
      publicKey: leafKeys.publicKey,
      issuer: { certificate: notCa.der, privateKey: notCaKeys.privateKey },
    });
    await expectBothReject(
      underNotCa.pem,
      [{ certificate: notCa, keys: notCaKeys }],
      root,
      'issuer-not-ca',
      /invalid CA certificate/,
    );

    const noSignKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const noSign = await signCertificate({
      subject: { CN: 'No keyCertSign' },
      publicKey: noSignKeys.publicKey,
      issuer: issuedBy(root),
      ca: true,
      keyUsage: ['digitalSignature', 'cRLSign'],
    });
    const underNoSign = await signCertificate({
      subject: { CN: 'y.example.test' },
      publicKey: leafKeys.publicKey,
      issuer: { certificate: noSign.der, privateKey: noSignKeys.privateKey },
    });
    await expectBothReject(
      underNoSign.pem,
      [{ certificate: noSign, keys: noSignKeys }],
      root,
      'issuer-missing-key-cert-sign',
      /key usage does not include certificate signing|invalid CA certificate/,
    );
  });

  it('reports expiry and not-yet-valid at the given time', async () => {
    const leaf = await leafUnder(intermediate, { CN: 'short.example.test' }, [], {
      notBefore: new Date('2030-01-01T00:00:00Z'),
      validitySeconds: 86_400,
    });
    const options = {
      leaf: leaf.der,
      intermediates: [intermediate.certificate.der],
      trustAnchors: [root.certificate.der],
    };
    expect(await validatePath({ ...options, at: new Date('2030-01-01T12:00:00Z') })).toMatchObject({ valid: true });
    expect(await validatePath({ ...options, at: new Date('2029-12-31T00:00:00Z') })).toMatchObject({
      valid: false,
      reason: 'not-yet-valid',
      depth: 0,
    });
    expect(await validatePath({ ...options, at: new Date('2030-01-03T00:00:00Z') })).toMatchObject({
      valid: false,
      reason: 'expired',
      depth: 0,
    });
    const openssl = await opensslVerify({
      caPem: root.certificate.pem,
      untrustedPem: intermediate.certificate.pem,
      leafPem: leaf.pem,
      atTime: Date.parse('2030-01-03T00:00:00Z') / 1000,
    });
    expect(openssl.output).toMatch(/certificate has expired/);
  });

  it('reports a bad signature and a missing trust anchor', async () => {
    const twinKeys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const forged = await signCertificate({
      subject: { CN: 'forged.example.test' },
      publicKey: leafKeys.publicKey,
      issuer: { certificate: intermediate.certificate.der, privateKey: twinKeys.privateKey },
    });
    await expectBothReject(
      forged.pem,
      [intermediate],
      root,
      'bad-signature',
      /certificate signature failure|unable to get local issuer certificate/,
    );
    const stranger = await createCertificateAuthority({ subject: { CN: 'Stranger Root' } });
    const leaf = await leafUnder(intermediate, { CN: 'ok.example.test' }, []);
    expect(
      await validatePath({
        leaf: leaf.der,
        intermediates: [intermediate.certificate.der],
        trustAnchors: [stranger.certificate.der],
      }),
    ).toMatchObject({ valid: false, reason: 'no-path-to-trust-anchor' });
  });
});

describe('name constraint matching', () => {
  it('follows RFC 5280 for DNS and email forms', () => {
    expect(dnsNameMatchesConstraint('example.test', 'example.test')).toBe(true);
    expect(dnsNameMatchesConstraint('A.Example.Test', 'example.test')).toBe(true);
    expect(dnsNameMatchesConstraint('badexample.test', 'example.test')).toBe(false);
    expect(dnsNameMatchesConstraint('example.test', '.example.test')).toBe(false);
    expect(dnsNameMatchesConstraint('a.example.test', '.example.test')).toBe(true);
    expect(emailMatchesConstraint('a@example.test', 'example.test')).toBe(true);
    expect(emailMatchesConstraint('a@sub.example.test', 'example.test')).toBe(false);
    expect(emailMatchesConstraint('a@sub.example.test', '.example.test')).toBe(true);
    expect(emailMatchesConstraint('a@example.test', 'b@example.test')).toBe(false);
  });
});
