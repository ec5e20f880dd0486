/** Key identifiers (RFC 5280 4.2.1.2 method 1): SHA-1 of the subjectPublicKey BIT STRING contents. */
import { createHash } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';
import { AsnConvert } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';

export function keyIdentifierFromSpki(spki: Uint8Array): Uint8Array {
  let publicKey: ArrayBuffer;
  try {
    publicKey = AsnConvert.parse(spki, SubjectPublicKeyInfo).subjectPublicKey;
  } catch (cause) {
    throw new MalformedInputError({ inputKind: 'public-key', message: 'not a valid SubjectPublicKeyInfo', cause });
  }
  return new Uint8Array(createHash('sha1').update(new Uint8Array(publicKey)).digest());
}
