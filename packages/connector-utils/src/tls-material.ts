import { MalformedInputError } from '@certctl/core';
import { buildCombinedPem, buildFullchain, splitCertificates } from './pem-bundle.js';

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
  /** The private key block alone. */
  keyPem: string;
}

/**
 * Checks a deploy request before anything is written: one leaf, a chain that belongs to it, exactly
 * one unencrypted key that matches the leaf. Throws a MalformedInputError naming the connector.
 */
export function prepareTlsMaterial(input: TlsMaterialInput, connector?: string): TlsMaterial {
  try {
    const fullchainPem = buildFullchain(input.certPem, input.chainPem);
    const combined = buildCombinedPem(input.certPem, input.chainPem, input.keyPem);
    const [leafPem, ...chain] = splitCertificates(fullchainPem);
    return { leafPem: leafPem!, chainPem: chain.join(''), fullchainPem, keyPem: combined.slice(fullchainPem.length) };
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
