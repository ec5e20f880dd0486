/** CSRs for tests, made with @certctl/pki (the key stays here). */
import {
  createCsr,
  exportPrivateKeyPem,
  generateKeyPair,
  type KeyAlgorithmName,
  type SubjectAltName,
} from '@certctl/pki';

export async function testCsr(
  options: { commonName?: string; sans?: SubjectAltName[]; algorithm?: KeyAlgorithmName } = {},
) {
  const keys = await generateKeyPair({ algorithm: options.algorithm ?? 'ecdsa-p256' });
  const csr = await createCsr({
    keys,
    subject: options.commonName === undefined ? [] : [['CN', options.commonName]],
    sans: options.sans,
  });
  return { csrPem: csr.pem, csrDer: csr.der, keyPem: exportPrivateKeyPem(keys.privateKey) };
}
