/** The public key an issued certificate certifies: taken from the CSR once its signature proves possession. */
import { MalformedInputError } from '@certctl/core';
import { type PublicKeyDescription, parseCsr, verifyCsrSignature } from '@certctl/pki';
import { CONNECTOR } from './connector-name.js';

export interface CsrKey {
  spki: Uint8Array;
  publicKey: PublicKeyDescription;
}

const SIGNABLE_KEY_TYPES = new Set(['rsa', 'rsa-pss', 'ec', 'ed25519', 'ed448']);

/** Parses the CSR and checks its self-signature; a forged or damaged CSR is a MalformedInputError. */
export async function csrKey(csrPem: string): Promise<CsrKey> {
  let parsed: ReturnType<typeof parseCsr>;
  try {
    parsed = parseCsr(csrPem);
  } catch (cause) {
    throw new MalformedInputError({
      connector: CONNECTOR,
      inputKind: 'csr',
      message: 'the CSR is not a PEM PKCS#10 request',
      cause,
    });
  }
  if (!(await verifyCsrSignature(parsed.der))) {
    throw new MalformedInputError({
      connector: CONNECTOR,
      inputKind: 'csr',
      message:
        'the CSR signature does not verify with its own public key (damaged or forged request); create a new CSR',
    });
  }
  if (!SIGNABLE_KEY_TYPES.has(parsed.publicKey.type)) {
    throw new MalformedInputError({
      connector: CONNECTOR,
      inputKind: 'csr',
      message: `the CSR carries a ${parsed.publicKey.type} key (${parsed.publicKey.algorithmOid}); use RSA, ECDSA or Ed25519`,
    });
  }
  return { spki: parsed.spki, publicKey: parsed.publicKey };
}
