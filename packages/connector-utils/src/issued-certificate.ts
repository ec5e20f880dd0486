/**
 * The IssuedCertificate a CA's answer stands for: the leaf and chain parsed, the leaf checked to carry
 * the CSR's key, the chain without the leaf or duplicates. Every CA connector ends its issue this way.
 */
import { type IssuedCertificate, MalformedInputError } from '@certctl/core';
import { type ParsedCertificate, parseCertificateBundle } from '@certctl/pki';
import { assertCertifiesCsrKey } from './csr-key.js';

export interface IssuedCertificateInput {
  /** Connector id for error messages, e.g. `issuer-ejbca`. */
  connector: string;
  /** What answered, for messages: `CreateCertificate`. */
  source: string;
  /** PEM of the leaf, possibly followed by its chain. */
  certificatePem: string;
  /** PEM blocks (or one bundle) of the chain, issuing CA first. */
  chainPem?: string | readonly string[];
  /** DER SubjectPublicKeyInfo of the CSR (from checkedCsrKey); absent when following up an order whose CSR is gone. */
  csrSpki?: Uint8Array;
  orderId?: string;
}

/** Parses and checks a CA's answer; a certificate that does not parse or carries another key is refused. */
export function issuedCertificateFromPem(input: IssuedCertificateInput): IssuedCertificate {
  const { connector, source } = input;
  let leafAndChain: ParsedCertificate[];
  let chain: ParsedCertificate[];
  try {
    leafAndChain = parseCertificateBundle(input.certificatePem);
    const chainText = typeof input.chainPem === 'string' ? input.chainPem : (input.chainPem ?? []).join('\n');
    chain = chainText.trim() ? parseCertificateBundle(chainText) : [];
  } catch (cause) {
    throw new MalformedInputError({
      connector,
      inputKind: 'certificate',
      message: `${source} returned certificates that do not parse`,
      cause,
    });
  }
  const [leaf] = leafAndChain;
  if (!leaf) {
    throw new MalformedInputError({
      connector,
      inputKind: 'certificate',
      message: `${source} returned no certificate`,
    });
  }
  if (input.csrSpki) {
    assertCertifiesCsrKey(leaf, input.csrSpki, {
      connector,
      message: `${source} returned a certificate that does not carry the CSR's public key`,
    });
  }
  const certified = leaf;
  const chainPems = [...new Set([...leafAndChain.slice(1), ...chain].map((c) => c.pem))].filter(
    (pem) => pem !== certified.pem,
  );
  return {
    status: 'issued',
    certificatePem: certified.pem,
    chainPem: chainPems,
    serial: certified.serialNumber,
    notBefore: certified.notBefore,
    notAfter: certified.notAfter,
    ...(input.orderId ? { orderId: input.orderId } : {}),
  };
}
