import { MalformedInputError } from '@certctl/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCertificateFields } from './asn1-certificate-fields.js';
import { fuzzAsyncParser, fuzzParser } from './asn1-test-fuzz.js';
import { makeTestCa, makeTestLeaf, type TestIdentity } from './asn1-test-pki.js';
import {
  buildCertsOnlySignedData,
  CMS_ATTRIBUTE_OIDS,
  findCmsAttribute,
  octetStringValue,
  parseCertsOnlySignedData,
  parseSignedData,
  printableStringValue,
  readOctetStringValue,
  readStringValue,
  signSignedData,
  verifySignedData,
} from './cms-signed-data.js';
import { derToPem } from './pem.js';
import { runOpenssl } from './test-support/openssl.js';

const SCEP = {
  messageType: '2.16.840.1.113733.1.9.2',
  senderNonce: '2.16.840.1.113733.1.9.5',
  transactionId: '2.16.840.1.113733.1.9.7',
};

describe('CMS SignedData', () => {
  let ca: TestIdentity;
  let rsaLeaf: TestIdentity;
  let ecLeaf: TestIdentity;
  let edLeaf: TestIdentity;
  const content = new TextEncoder().encode('certctl signed content\n');

  beforeAll(async () => {
    ca = await makeTestCa('rsa', 'CMS CA');
    [rsaLeaf, ecLeaf, edLeaf] = await Promise.all([
      makeTestLeaf(ca, 'rsa', 'rsa signer'),
      makeTestLeaf(ca, 'ec', 'ec signer'),
      makeTestLeaf(ca, 'ed25519', 'ed25519 signer', [
        'keyUsage=critical,digitalSignature',
        'extendedKeyUsage=emailProtection',
      ]),
    ]);
  });

  async function opensslVerify(der: Uint8Array, extraArgs: string[] = []) {
    return runOpenssl(
      [
        'cms',
        '-verify',
        '-binary',
        '-inform',
        'DER',
        '-in',
        'sd.der',
        '-CAfile',
        'ca.pem',
        '-purpose',
        'any',
        '-out',
        'out.bin',
        ...extraArgs,
      ],
      {
        files: { 'sd.der': der, 'ca.pem': ca.certPem, 'content.bin': content },
        outputs: ['out.bin'],
        check: false,
      },
    );
  }

  it('a certs-only bundle lists its certificates in openssl pkcs7 -print_certs', async () => {
    const der = buildCertsOnlySignedData([rsaLeaf.certPem, ca.certDer]);
    const result = await runOpenssl(['pkcs7', '-inform', 'DER', '-in', 'p7.der', '-print_certs', '-noout'], {
      files: { 'p7.der': der },
    });
    expect(result.stdout).toMatch(
      /subject=CN = rsa signer\s+issuer=CN = CMS CA, O = certctl tests\s+subject=CN = CMS CA/,
    );
    expect(parseCertsOnlySignedData(der)).toEqual([rsaLeaf.certDer, ca.certDer]);
  });

  it('parses a certs-only bundle made by openssl crl2pkcs7 (DER and PEM)', async () => {
    const result = await runOpenssl(['crl2pkcs7', '-nocrl', '-certfile', 'bundle.pem', '-out', 'p7.pem'], {
      files: { 'bundle.pem': ecLeaf.certPem + ca.certPem },
      outputs: ['p7.pem'],
    });
    const pem = result.outputs['p7.pem']!.toString();
    const parsed = parseSignedData(pem);
    expect(parsed.signers).toEqual([]);
    expect(parsed.content).toBeUndefined();
    expect(parsed.certificates).toEqual([ecLeaf.certDer, ca.certDer]);
  });

  it.each([
    ['RSA', () => rsaLeaf],
    ['ECDSA', () => ecLeaf],
  ])('openssl cms -verify accepts a %s signature with SCEP-style signed attributes', async (_name, signer) => {
    const nonce = Uint8Array.from({ length: 16 }, (_, i) => i);
    const der = await signSignedData({
      content,
      signerCertificate: signer().certPem,
      signingKey: signer().key,
      certificates: [ca.certPem],
      signedAttributes: [
        { oid: SCEP.messageType, values: [printableStringValue('19')] },
        { oid: SCEP.transactionId, values: [printableStringValue('abc123')] },
        { oid: SCEP.senderNonce, values: [octetStringValue(nonce)] },
      ],
    });
    const result = await opensslVerify(der);
    expect(result.stderr).toContain('Verification successful');
    expect(new Uint8Array(result.outputs['out.bin']!)).toEqual(content);

    const verified = await verifySignedData(der);
    expect(verified.content).toEqual(content);
    expect(verified.signerCertificate).toEqual(signer().certDer);
    expect(verified.certificates).toHaveLength(2);
    expect(readStringValue(findCmsAttribute(verified.signedAttributes, SCEP.messageType)!)).toBe('19');
    expect(readStringValue(findCmsAttribute(verified.signedAttributes, SCEP.transactionId)!)).toBe('abc123');
    expect(readOctetStringValue(findCmsAttribute(verified.signedAttributes, SCEP.senderNonce)!)).toEqual(nonce);
    expect(Math.abs(verified.signingTime!.getTime() - Date.now())).toBeLessThan(60_000);
  });

  it('Ed25519 signatures (RFC 8419, sha512 digest) verify with our verifier', async () => {
    // OpenSSL 3.0 cannot sign or verify Ed25519 CMS ("no default digest"), so no openssl check here.
    const der = await signSignedData({ content, signerCertificate: edLeaf.certPem, signingKey: edLeaf.key });
    const verified = await verifySignedData(der);
    expect(verified.signers[0]?.digestAlgorithm).toBe('sha512');
    expect(verified.signerCertificate).toEqual(edLeaf.certDer);
  });

  it('openssl verifies a detached signature with the content supplied separately', async () => {
    const der = await signSignedData({
      content,
      signerCertificate: ecLeaf.certPem,
      signingKey: ecLeaf.key,
      detached: true,
      signingTime: false,
    });
    const result = await opensslVerify(der, ['-content', 'content.bin']);
    expect(result.stderr).toContain('Verification successful');
    const verified = await verifySignedData(der, { detachedContent: content });
    expect(findCmsAttribute(verified.signedAttributes, CMS_ATTRIBUTE_OIDS.signingTime)).toBeUndefined();
    await expect(verifySignedData(der)).rejects.toSatisfy(MalformedInputError.isInstance);
  });

  it.each([
    ['RSA sha256', () => rsaLeaf, []],
    ['RSA sha384 without signed attributes', () => rsaLeaf, ['-md', 'sha384', '-noattr']],
    ['ECDSA', () => ecLeaf, []],
    ['RSA in BER streaming form', () => rsaLeaf, ['-stream']],
  ] as const)('verifies an openssl cms -sign signature (%s)', async (_name, signer, extra) => {
    const result = await runOpenssl(
      [
        'cms',
        '-sign',
        '-binary',
        '-nodetach',
        '-in',
        'content.bin',
        '-signer',
        's.pem',
        '-inkey',
        's.key',
        '-outform',
        'DER',
        '-out',
        'sd.der',
        ...extra,
      ],
      { files: { 'content.bin': content, 's.pem': signer().certPem, 's.key': signer().keyPem }, outputs: ['sd.der'] },
    );
    const verified = await verifySignedData(new Uint8Array(result.outputs['sd.der']!));
    expect(verified.content).toEqual(content);
    expect(verified.signerCertificate).toEqual(signer().certDer);
  });

  it('rejects tampered content, a wrong signer certificate and a forged digest', async () => {
    const der = await signSignedData({ content, signerCertificate: rsaLeaf.certPem, signingKey: rsaLeaf.keyPem });
    const tampered = Uint8Array.from(der);
    const at = Buffer.from(tampered).indexOf(Buffer.from('certctl signed'));
    tampered[at]! ^= 1;
    await expect(verifySignedData(tampered)).rejects.toThrow(/messageDigest does not match/);

    const wrongKey = await signSignedData({ content, signerCertificate: rsaLeaf.certPem, signingKey: ecLeaf.key });
    await expect(verifySignedData(wrongKey)).rejects.toThrow(/signature does not verify/);

    const pem = derToPem(der, 'PKCS7');
    expect((await verifySignedData(pem)).content).toEqual(content);
    expect(readCertificateFields(parseSignedData(pem).certificates[0]!).serialHex).toBe(
      readCertificateFields(rsaLeaf.certDer).serialHex,
    );
  });

  it('SignedData parsing and verification throw only MalformedInputError on fuzzed input', async () => {
    const signed = await signSignedData({
      content,
      signerCertificate: ecLeaf.certPem,
      signingKey: ecLeaf.key,
      certificates: [ca.certPem],
    });
    const certsOnly = buildCertsOnlySignedData([ca.certPem]);
    fuzzParser(parseSignedData, [signed, certsOnly]);
    await fuzzAsyncParser((bytes) => verifySignedData(bytes), [signed]);
  });
});
