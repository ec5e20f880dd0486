/**
 * A CA's PEM answer (leaf and chain in any order) turned into the contract's IssuedCertificate, after
 * checking that it is one chain and, when the CSR's key is known, that the leaf certifies that key.
 */
import { type IssuedCertificate, MalformedInputError } from '@certctl/core';
import { parseCertificate } from '@certctl/pki';
import { assertCertifiesCsrKey } from './csr-key.js';
import { orderCertificateChain } from './pem-bundle.js';

export interface IssuedFromBundleOptions {
  connector: string;
  /** What returned the bundle, for messages: `order 1234`. */
  source: string;
  /** DER SubjectPublicKeyInfo of the CSR; the leaf must carry it. */
  csrSpki?: Uint8Array;
  orderId?: string;
}

export function issuedCertificateFromBundle(
  pems: readonly string[],
  options: IssuedFromBundleOptions,
): IssuedCertificate {
  const { connector, source } = options;
  let ordered: string[];
  let leaf: ReturnType<typeof parseCertificate>;
  try {
    ordered = orderCertificateChain(pems);
    if (ordered.length === 0) throw new Error('no certificate in the answer');
    leaf = parseCertificate(ordered[0]!);
  } catch (cause) {
    throw new MalformedInputError({
      connector,
      inputKind: 'certificate',
      message: `${source} returned certificates that do not parse as one chain: ${(cause as Error).message}`,
      cause,
    });
  }
  if (options.csrSpki) {
    assertCertifiesCsrKey(leaf, options.csrSpki, {
      connector,
      message: `${source} returned a certificate that does not carry the CSR's public key`,
    });
  }
  return {
    status: 'issued',
    certificatePem: leaf.pem,
    chainPem: ordered.slice(1),
    serial: leaf.serialNumber,
    notBefore: leaf.notBefore,
    notAfter: leaf.notAfter,
    ...(options.orderId !== undefined && { orderId: options.orderId }),
  };
}
