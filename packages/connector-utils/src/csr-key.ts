/**
 * The public key an issuer may certify: taken from a CSR only once the CSR's self-signature proves
 * possession of the private key. Every issuer checks this before it asks a CA to sign anything, and
 * checks afterwards that the CA's certificate carries that same key.
 */
import { ConnectorError, MalformedInputError } from '@certctl/core';
import { type PublicKeyDescription, parseCsr, verifyCsrSignature } from '@certctl/pki';

export interface CsrKey {
  /** DER SubjectPublicKeyInfo of the CSR's key. */
  spki: Uint8Array;
  publicKey: PublicKeyDescription;
}

export interface CheckedCsrKeyOptions {
  /** Connector id for error messages, e.g. `issuer-vault`. */
  connector: string;
  /**
   * Key types (PublicKeyDescription.type) the issuer can certify, with the advice shown when the CSR's
   * key is another; default: any key type the CSR's signature verified with.
   */
  keyTypes?: { allowed: ReadonlySet<string>; advice: string };
}

/** Parses the CSR and checks its self-signature (and key type); a bad CSR is a MalformedInputError. */
export async function checkedCsrKey(csrPem: string, options: CheckedCsrKeyOptions): Promise<CsrKey> {
  const { connector } = options;
  let parsed: ReturnType<typeof parseCsr>;
  try {
    parsed = parseCsr(csrPem);
  } catch (cause) {
    throw new MalformedInputError({
      connector,
      inputKind: 'csr',
      message: 'the CSR is not a PEM PKCS#10 request',
      cause,
    });
  }
  if (!(await verifyCsrSignature(parsed.der))) {
    throw new MalformedInputError({
      connector,
      inputKind: 'csr',
      message:
        'the CSR signature does not verify with its own public key (damaged or forged request); create a new CSR',
    });
  }
  if (options.keyTypes && !options.keyTypes.allowed.has(parsed.publicKey.type)) {
    throw new MalformedInputError({
      connector,
      inputKind: 'csr',
      message: `the CSR carries a ${parsed.publicKey.type} key (${parsed.publicKey.algorithmOid}); ${options.keyTypes.advice}`,
    });
  }
  return { spki: parsed.spki, publicKey: parsed.publicKey };
}

/** Throws a ConnectorError with `message` unless `leaf` exists and certifies exactly the key `csrSpki`. */
export function assertCertifiesCsrKey(
  leaf: { spki: Uint8Array } | undefined,
  csrSpki: Uint8Array,
  options: { connector: string; message: string },
): asserts leaf is { spki: Uint8Array } {
  if (!leaf || !Buffer.from(leaf.spki).equals(Buffer.from(csrSpki))) {
    throw new ConnectorError({ connector: options.connector, message: options.message });
  }
}
