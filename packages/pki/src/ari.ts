/**
 * ACME Renewal Information certificate identifiers (RFC 9773 section 4.1):
 * base64url(AKI keyIdentifier) "." base64url(serial DER INTEGER content), both unpadded. The serial
 * bytes are the INTEGER's content octets as encoded, so a serial with the high bit set keeps its 00.
 */
import { MalformedInputError } from '@certctl/core';
import { type CertificateInput, parseCertificate } from './certificate.js';

export interface AriCertificateIdParts {
  keyIdentifier: Uint8Array;
  /** Content octets of the serial's DER INTEGER. */
  serialNumber: Uint8Array;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** Formats the ARI id from its two parts. */
export function formatAriCertificateId(parts: AriCertificateIdParts): string {
  return `${Buffer.from(parts.keyIdentifier).toString('base64url')}.${Buffer.from(parts.serialNumber).toString('base64url')}`;
}

/** The ARI id of a certificate; it must carry an Authority Key Identifier with a keyIdentifier. */
export function ariCertificateId(certificate: CertificateInput): string {
  const parsed = parseCertificate(certificate);
  if (!parsed.authorityKeyIdentifier) {
    throw new MalformedInputError({
      inputKind: 'certificate',
      message:
        'certificate has no Authority Key Identifier keyIdentifier, so it has no ARI certificate id (RFC 9773 4.1)',
    });
  }
  return formatAriCertificateId({
    keyIdentifier: Buffer.from(parsed.authorityKeyIdentifier, 'hex'),
    serialNumber: parsed.serialNumberBytes,
  });
}

/** Splits an ARI id (as found in a renewalInfo URL or an order's `replaces`) into its parts. */
export function parseAriCertificateId(id: string): AriCertificateIdParts {
  const parts = typeof id === 'string' ? id.split('.') : [];
  if (
    parts.length !== 2 ||
    !parts.every((p) => p.length > 0 && p.length <= 200 && BASE64URL.test(p) && p.length % 4 !== 1)
  ) {
    throw new MalformedInputError({
      inputKind: 'ari-certificate-id',
      message: 'ARI certificate id must be two unpadded base64url parts joined by "."',
    });
  }
  const keyIdentifier = new Uint8Array(Buffer.from(parts[0]!, 'base64url'));
  const serialNumber = new Uint8Array(Buffer.from(parts[1]!, 'base64url'));
  if (formatAriCertificateId({ keyIdentifier, serialNumber }) !== id) {
    throw new MalformedInputError({
      inputKind: 'ari-certificate-id',
      message: 'ARI certificate id is not canonical base64url',
    });
  }
  if (serialNumber[0]! & 0x80 || (serialNumber.length > 1 && serialNumber[0] === 0 && !(serialNumber[1]! & 0x80))) {
    throw new MalformedInputError({
      inputKind: 'ari-certificate-id',
      message: 'ARI serial is not a minimal positive DER INTEGER',
    });
  }
  return { keyIdentifier, serialNumber };
}
