import { MalformedInputError } from '@certctl/core';
import { buildFullchain, privateKeyPemFor, splitCertificates } from './pem-bundle.js';

export interface TlsMaterialInput {
  certPem: string;
  chainPem: string;
  keyPem: string;
}

/** What file-based targets write: the leaf, its chain, both together, and the key, each canonical PEM. */
export interface TlsMaterial {
  /** The leaf alone. */
  leafPem: string;
  /** The intermediates (and root if the CA sent one) in order, issuer first; '' when there are none. */
  chainPem: string;
  /** Leaf then chain, as most servers load a certificate file. */
  fullchainPem: string;
  /** The private key as one canonical PEM block (checked to belong to the leaf). */
  keyPem: string;
}

/**
 * Checks a deploy request before anything is written: one leaf, a chain that belongs to it, exactly
 * one unencrypted key that matches the leaf. Throws a MalformedInputError naming the connector.
 */
export function prepareTlsMaterial(input: TlsMaterialInput, connector?: string): TlsMaterial {
  try {
    const fullchainPem = buildFullchain(input.certPem, input.chainPem);
    const [leafPem = '', ...chain] = splitCertificates(fullchainPem);
    return { leafPem, chainPem: chain.join(''), fullchainPem, keyPem: privateKeyPemFor(leafPem, input.keyPem) };
  } catch (error) {
    if (!MalformedInputError.isInstance(error)) throw error;
    throw new MalformedInputError({
      connector,
      inputKind: error.inputKind,
      message: `deploy refused, nothing was changed: ${error.message.replace(/^\[certctl\] /, '')}`,
      cause: error,
    });
  }
}
