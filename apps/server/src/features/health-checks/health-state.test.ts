import { certificateFingerprint, createCertificateAuthority, generateKeyPair, signCertificate } from '@certctl/pki';
import { beforeAll, describe, expect, it } from 'vitest';
import { judgeObservation, nextHealthState } from './health-state.js';

describe('health check verdicts', () => {
  let root: Awaited<ReturnType<typeof createCertificateAuthority>>;
  let intermediate: Awaited<ReturnType<typeof createCertificateAuthority>>;
  let other: Awaited<ReturnType<typeof createCertificateAuthority>>;
  const leafOf = async (options: { mustStaple?: boolean; notAfter?: Date; notBefore?: Date } = {}) => {
    const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    return signCertificate({
      subject: { CN: 'shop.example.com' },
      publicKey: keys.publicKey,
      issuer: { certificate: intermediate.certificate.der, privateKey: intermediate.keys.privateKey },
      ...options,
    });
  };
  const expectOf = (leaf: { der: Uint8Array; serialNumber: string }, chainPem: string) => ({
    fingerprint: certificateFingerprint(leaf.der).hex,
    serial: leaf.serialNumber,
    chainPem,
  });

  beforeAll(async () => {
    root = await createCertificateAuthority({ subject: { CN: 'Root' } });
    intermediate = await createCertificateAuthority({
      subject: { CN: 'Intermediate' },
      issuer: { certificate: root.certificate.der, privateKey: root.keys.privateKey },
    });
    other = await createCertificateAuthority({ subject: { CN: 'Elsewhere' } });
  });

  it('passes the deployed certificate with a chain to the expected issuer', async () => {
    const leaf = await leafOf();
    const verdict = await judgeObservation(
      { certificateDer: leaf.der, chainDer: [intermediate.certificate.der], protocol: 'TLSv1.3', cipher: null },
      expectOf(leaf, `${intermediate.certificate.pem}${root.certificate.pem}`),
      new Date(),
    );
    expect(verdict).toMatchObject({ kind: 'ok', problems: [], observedSerial: leaf.serialNumber });
  });

  it('fails a chain that does not lead to the expected issuer, a missing staple on must-staple, and expiry', async () => {
    const leaf = await leafOf({ mustStaple: true });
    const verdict = await judgeObservation(
      { certificateDer: leaf.der, chainDer: [intermediate.certificate.der], protocol: 'TLSv1.3', cipher: null },
      expectOf(leaf, other.certificate.pem),
      new Date(),
    );
    expect(verdict.kind).toBe('failure');
    expect(verdict.problems).toEqual([
      expect.stringMatching(/^the served chain does not lead to the expected issuer/),
      'the certificate requires OCSP stapling (must-staple) but the server sent no OCSP response',
    ]);
    const stapled = await judgeObservation(
      {
        certificateDer: leaf.der,
        chainDer: [intermediate.certificate.der],
        protocol: 'TLSv1.3',
        cipher: null,
        ocspResponse: new Uint8Array([0x30]),
      },
      expectOf(leaf, root.certificate.pem),
      new Date(),
    );
    expect(stapled.kind).toBe('ok');
    const old = await leafOf({
      notBefore: new Date(Date.now() - 10 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    const expired = await judgeObservation(
      { certificateDer: old.der, chainDer: [], protocol: null, cipher: null },
      undefined,
      new Date(),
    );
    expect(expired.problems).toEqual([expect.stringMatching(/^the certificate expired at /)]);
  });

  it('moves through the states by thresholds, and a mismatch is immediate', () => {
    const thresholds = { degradedThreshold: 2, downThreshold: 4 };
    let state = { status: 'healthy' as const, consecutiveFailures: 0 } as Parameters<typeof nextHealthState>[0];
    const seen: string[] = [];
    for (const verdict of ['failure', 'failure', 'failure', 'failure', 'ok', 'mismatch', 'failure', 'ok'] as const) {
      state = nextHealthState(state, verdict, thresholds);
      seen.push(state.status);
    }
    expect(seen).toEqual([
      'healthy',
      'degraded',
      'degraded',
      'down',
      'healthy',
      'cert_mismatch',
      'cert_mismatch',
      'healthy',
    ]);
  });
});
