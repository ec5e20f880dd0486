/** Distinguished names: what callers pass in (text or attribute pairs) and what parsers return. */
import { MalformedInputError } from '@certctl/core';
import { bufferSource } from './buffer-source.js';
import { x509 } from './crypto-provider.js';

/**
 * A subject or issuer name: RFC 4514-style text (`CN=example.com, O=Acme`), attribute pairs in
 * order (`[['O', 'Acme'], ['CN', 'example.com']]`), or a record (`{ O: 'Acme', CN: 'example.com' }`,
 * insertion order kept). Attribute types are short names (CN, O, OU, C, ST, L, E, DC, ...) or OIDs.
 * Or the DER of a name, kept byte for byte (string types included): what a renewal must repeat.
 */
export type NameInput =
  | string
  | Uint8Array
  | ReadonlyArray<readonly [string, string]>
  | Readonly<Record<string, string>>;

export const COMMON_NAME_OID = '2.5.4.3';
export const EMAIL_ADDRESS_OID = '1.2.840.113549.1.9.1';

export function toX509Name(input: NameInput): x509.Name {
  try {
    if (typeof input === 'string') return new x509.Name(input);
    if (input instanceof Uint8Array) return new x509.Name(bufferSource(input));
    const pairs = Array.isArray(input) ? (input as ReadonlyArray<readonly [string, string]>) : Object.entries(input);
    return new x509.Name(pairs.map(([type, value]) => ({ [type]: [value] })));
  } catch (cause) {
    throw new MalformedInputError({
      inputKind: 'distinguished-name',
      message: `invalid distinguished name ${JSON.stringify(input)}`,
      cause,
    });
  }
}

/** DER of a name. */
export function encodeName(input: NameInput): Uint8Array {
  return new Uint8Array(toX509Name(input).toArrayBuffer());
}

/** The RFC 4514 text of a DER name, and the last CN (the most specific one) if there is one. */
export function describeName(der: Uint8Array): {
  text: string;
  commonName: string | undefined;
  emailAddresses: string[];
} {
  const name = new x509.Name(bufferSource(der));
  const commonNames = name.getField(COMMON_NAME_OID);
  return {
    text: name.toString(),
    commonName: commonNames[commonNames.length - 1],
    emailAddresses: name.getField(EMAIL_ADDRESS_OID),
  };
}
