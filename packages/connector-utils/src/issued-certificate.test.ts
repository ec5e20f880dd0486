import { ConnectorError, MalformedInputError } from '@certctl/core';
import { createCertificateAuthority, generateKeyPair, parseCsr, signCertificate, createCsr } from '@certctl/pki';
import { describe, expect, it } from 'vitest';
import { issuedCertificateFromPem } from './issued-certificate.js';

const connector = 'issuer-test';

async function fixture() {
  const ca = await createCertificateAuthority({ subject: { CN: 'issued-certificate test CA' } });
  const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
  const csr = parseCsr((await createCsr({ keys, subject: { CN: 'leaf.example.test' }, sans: [] })).pem);
  const leaf = await signCertificate({
    subject: { CN: 'leaf.example.test' },
    publicKey: csr.spki,
    issuer: { certificate: ca.certificate.pem, privateKey: ca.keys.privateKey },
    sans: [{ type: 'dns', value: 'leaf.example.test' }],
    validitySeconds: 3600,
  });
  return { ca, csr, leaf };
}

describe('issuedCertificateFromPem', () => {
  it('splits leaf and chain, drops duplicates and the leaf from the chain, and reports serial and validity', async () => {
    const { ca, csr, leaf } = await fixture();
    const issued = issuedCertificateFromPem({
      connector,
      source: 'sign',
      certificatePem: `${leaf.pem}\n${ca.certificate.pem}`,
      chainPem: [ca.certificate.pem, leaf.pem],
      csrSpki: csr.spki,
      orderId: 'order-1',
    });
    expect(issued).toMatchObject({ status: 'issued', serial: leaf.serialNumber, orderId: 'order-1' });
    expect(issued.chainPem).toEqual([ca.certificate.pem]);
    expect(issued.notAfter).toEqual(leaf.notAfter);
  });

  it('refuses a certificate for another key, and bytes that are not certificates', async () => {
    const { csr, leaf } = await fixture();
    const other = await fixture();
    const wrongKey = (() => {
      try {
        issuedCertificateFromPem({ connector, source: 'sign', certificatePem: other.leaf.pem, csrSpki: csr.spki });
      } catch (error) {
        return error;
      }
    })();
    expect(ConnectorError.isInstance(wrongKey)).toBe(true);
    expect(String(wrongKey)).toContain("sign returned a certificate that does not carry the CSR's public key");
    const garbage = (() => {
      try {
        issuedCertificateFromPem({
          connector,
          source: 'sign',
          certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
        });
      } catch (error) {
        return error;
      }
    })();
    expect(MalformedInputError.isInstance(garbage)).toBe(true);
    expect(issuedCertificateFromPem({ connector, source: 'get', certificatePem: leaf.pem }).serial).toBe(
      leaf.serialNumber,
    );
  });
});
