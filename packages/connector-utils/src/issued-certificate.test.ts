import { ConnectorError, MalformedInputError } from '@certctl/core';
import { createCertificateAuthority, createCsr, generateKeyPair, parseCsr, signCertificate } from '@certctl/pki';
import { describe, expect, it } from 'vitest';
import { issuedCertificateFromBundle } from './issued-certificate.js';

async function chain() {
  const root = await createCertificateAuthority({ subject: { CN: 'Root' } });
  const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
  const csr = parseCsr((await createCsr({ keys, subject: { CN: 'a.example.com' } })).pem);
  const leaf = await signCertificate({
    subject: { CN: 'a.example.com' },
    publicKey: csr.spki,
    issuer: { certificate: root.certificate.pem, privateKey: root.keys.privateKey },
    sans: [{ type: 'dns', value: 'a.example.com' }],
    validitySeconds: 86_400,
  });
  return { root, leaf, csrSpki: csr.spki };
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('issuedCertificateFromBundle', () => {
  it('puts the leaf first whatever order the CA sent, with serial, validity and order id', async () => {
    const { root, leaf, csrSpki } = await chain();
    const issued = issuedCertificateFromBundle([root.certificate.pem, leaf.pem], {
      connector: 'issuer-x',
      source: 'order 1',
      csrSpki,
      orderId: '1',
    });
    expect(issued).toMatchObject({ status: 'issued', serial: leaf.serialNumber, orderId: '1' });
    expect(issued.certificatePem.replace(/\s/g, '')).toBe(leaf.pem.replace(/\s/g, ''));
    expect(issued.chainPem).toHaveLength(1);
    expect(issued.notAfter).toEqual(leaf.notAfter);
  });

  it('refuses a leaf that does not carry the CSR key, and a bundle that is not one chain', async () => {
    const { root, leaf } = await chain();
    const other = await chain();
    const wrongKey = () =>
      issuedCertificateFromBundle([leaf.pem], { connector: 'issuer-x', source: 'order 2', csrSpki: other.csrSpki });
    expect(wrongKey).toThrow(/does not carry the CSR's public key/);
    expect(ConnectorError.isInstance(caught(wrongKey))).toBe(true);
    const mixed = () =>
      issuedCertificateFromBundle([leaf.pem, root.certificate.pem, other.leaf.pem], {
        connector: 'issuer-x',
        source: 'order 3',
      });
    expect(mixed).toThrow(/order 3 returned certificates that do not parse as one chain/);
    expect(MalformedInputError.isInstance(caught(mixed))).toBe(true);
    expect(() => issuedCertificateFromBundle([], { connector: 'issuer-x', source: 'order 4' })).toThrow(/order 4/);
  });
});
