import { MalformedInputError } from '@certctl/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { fuzzParser } from './asn1-test-fuzz.js';
import { makeTestCa, makeTestLeaf, type TestIdentity } from './asn1-test-pki.js';
import {
  type CmsContentEncryption,
  type CmsKeyTransport,
  decryptEnvelopedData,
  encryptEnvelopedData,
  inspectEnvelopedData,
} from './cms-enveloped-data.js';
import { runOpenssl } from './test-support/openssl.js';

describe('CMS EnvelopedData', () => {
  let ca: TestIdentity;
  let recipient: TestIdentity;
  let other: TestIdentity;
  const content = new TextEncoder().encode('a CSR or a certificate, in a SCEP envelope\n'.repeat(5));

  beforeAll(async () => {
    ca = await makeTestCa('ec', 'Envelope CA');
    [recipient, other] = await Promise.all([
      makeTestLeaf(ca, 'rsa', 'recipient'),
      makeTestLeaf(ca, 'rsa', 'other recipient'),
    ]);
  });

  it.each([
    ['aes-256-cbc', 'rsa-oaep'],
    ['aes-128-cbc', 'rsa-pkcs1'],
    ['aes-256-gcm', 'rsa-oaep-sha256'],
    ['aes-128-gcm', 'rsa-pkcs1'],
    ['des-ede3-cbc', 'rsa-pkcs1'],
  ] as [CmsContentEncryption, CmsKeyTransport][])(
    'openssl cms -decrypt opens our %s envelope with %s key transport',
    async (cipher, transport) => {
      const der = encryptEnvelopedData({
        content,
        recipients: [other.certPem, recipient.certPem],
        contentEncryption: cipher,
        keyTransport: transport,
      });
      const result = await runOpenssl(
        [
          'cms',
          '-decrypt',
          '-binary',
          '-inform',
          'DER',
          '-in',
          'env.der',
          '-recip',
          'r.pem',
          '-inkey',
          'r.key',
          '-out',
          'out.bin',
        ],
        { files: { 'env.der': der, 'r.pem': recipient.certPem, 'r.key': recipient.keyPem }, outputs: ['out.bin'] },
      );
      expect(new Uint8Array(result.outputs['out.bin']!)).toEqual(content);
      expect(
        decryptEnvelopedData(der, { recipientCertificate: recipient.certDer, recipientKey: recipient.key }),
      ).toEqual(content);
      expect(decryptEnvelopedData(der, { recipientCertificate: other.certPem, recipientKey: other.keyPem })).toEqual(
        content,
      );
      const info = inspectEnvelopedData(der);
      expect(info.contentEncryption).toBe(cipher);
      expect(info.authenticated).toBe(cipher.includes('gcm'));
      expect(info.recipients.map((r) => r.keyTransport)).toEqual([transport, transport]);
    },
  );

  it.each([
    ['the default cipher (3DES in openssl 3.0)', [], 'des-ede3-cbc', 'rsa-pkcs1'],
    ['-aes256', ['-aes256'], 'aes-256-cbc', 'rsa-pkcs1'],
    ['-aes128', ['-aes128'], 'aes-128-cbc', 'rsa-pkcs1'],
    ['-des3', ['-des3'], 'des-ede3-cbc', 'rsa-pkcs1'],
    ['OAEP key transport', ['-aes256', '-keyopt', 'rsa_padding_mode:oaep'], 'aes-256-cbc', 'rsa-oaep'],
    [
      'OAEP-SHA256 key transport',
      ['-aes256', '-keyopt', 'rsa_padding_mode:oaep', '-keyopt', 'rsa_oaep_md:sha256'],
      'aes-256-cbc',
      'rsa-oaep-sha256',
    ],
    ['AES-256-GCM (AuthEnvelopedData)', ['-aes-256-gcm'], 'aes-256-gcm', 'rsa-pkcs1'],
    [
      '-des (single DES, as old SCEP clients send)',
      ['-des', '-provider', 'legacy', '-provider', 'default'],
      'des-cbc',
      'rsa-pkcs1',
    ],
  ] as const)('decrypts an openssl cms -encrypt envelope made with %s', async (_name, extra, cipher, transport) => {
    const result = await runOpenssl(
      [
        'cms',
        '-encrypt',
        '-binary',
        '-in',
        'content.bin',
        '-outform',
        'DER',
        '-out',
        'env.der',
        '-recip',
        'r.pem',
        ...extra,
      ],
      { files: { 'content.bin': content, 'r.pem': recipient.certPem }, outputs: ['env.der'] },
    );
    const der = new Uint8Array(result.outputs['env.der']!);
    expect(inspectEnvelopedData(der)).toMatchObject({
      contentEncryption: cipher,
      recipients: [{ keyTransport: transport }],
    });
    expect(decryptEnvelopedData(der, { recipientCertificate: recipient.certPem, recipientKey: recipient.key })).toEqual(
      content,
    );
  });

  it('reads single DES but refuses to write it', () => {
    expect(() =>
      encryptEnvelopedData({ content, recipients: [recipient.certPem], contentEncryption: 'des-cbc' }),
    ).toThrow(/unsupported content encryption des-cbc/);
  });

  it('a wrong key and a damaged wrapped key fail with the same generic error (no padding oracle)', async () => {
    const der = encryptEnvelopedData({
      content,
      recipients: [recipient.certPem],
      keyTransport: 'rsa-pkcs1',
      contentEncryption: 'aes-128-cbc',
    });
    const messages = new Set<string>();
    const capture = (fn: () => unknown) => {
      try {
        fn();
        messages.add('decrypted (random key happened to give valid padding)');
      } catch (error) {
        expect(MalformedInputError.isInstance(error)).toBe(true);
        expect((error as Error).cause).toBeUndefined();
        messages.add((error as Error).message);
      }
    };
    capture(() => decryptEnvelopedData(der, { recipientCertificate: recipient.certPem, recipientKey: other.key }));
    const damaged = Uint8Array.from(der);
    // The wrapped key is the 256-byte OCTET STRING right after the recipient's algorithm identifier.
    const at = Buffer.from(damaged).indexOf(Buffer.from([0x04, 0x82, 0x01, 0x00])) + 10;
    damaged[at]! ^= 0xff;
    capture(() =>
      decryptEnvelopedData(damaged, { recipientCertificate: recipient.certPem, recipientKey: recipient.key }),
    );
    expect([...messages].filter((m) => !m.startsWith('decrypted'))).toEqual([
      '[certctl] EnvelopedData could not be decrypted with this recipient key',
    ]);
    expect(() => decryptEnvelopedData(der, { recipientCertificate: other.certPem, recipientKey: other.key })).toThrow(
      /no recipient matching/,
    );
  });

  it('refuses non-RSA recipients with MalformedInputError', () => {
    expect(() => encryptEnvelopedData({ content, recipients: [ca.certPem] })).toThrow(
      expect.objectContaining({ code: 'malformed_input' }),
    );
  });

  it('envelope parsing and decryption throw only MalformedInputError on fuzzed input', () => {
    const cbc = encryptEnvelopedData({ content, recipients: [recipient.certPem], keyTransport: 'rsa-pkcs1' });
    const gcm = encryptEnvelopedData({ content, recipients: [recipient.certPem], contentEncryption: 'aes-128-gcm' });
    fuzzParser(inspectEnvelopedData, [cbc, gcm]);
    fuzzParser(
      (bytes) => decryptEnvelopedData(bytes, { recipientCertificate: recipient.certDer, recipientKey: recipient.key }),
      [cbc, gcm],
    );
  });
});
