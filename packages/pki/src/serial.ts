/** Certificate serial numbers: random generation and the hex forms we expose. */
import { randomBytes } from 'node:crypto';
import { MalformedInputError } from '@certctl/core';

/**
 * A fresh serial as lowercase hex: 128 bits from the CSPRNG with the top bit cleared and the first
 * byte non-zero, so the DER INTEGER is positive, minimal, always 16 bytes, and carries >= 120 random
 * bits (CA/B Forum asks for 64).
 */
export function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = bytes[0]! & 0x7f || 0x01;
  return bytes.toString('hex');
}

/**
 * The content bytes of the DER INTEGER for a non-negative serial given as hex (any case, optional
 * `0x` and colons): leading zeros removed, one `00` added back when the high bit is set.
 */
export function serialHexToDerContent(hex: string): Uint8Array {
  const clean = hex.replace(/^0x/i, '').replace(/:/g, '');
  if (!/^[0-9a-fA-F]+$/.test(clean))
    throw new MalformedInputError({ inputKind: 'serial', message: `serial "${hex}" is not hexadecimal` });
  let bytes = Buffer.from(clean.length % 2 ? `0${clean}` : clean, 'hex');
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  bytes = bytes.subarray(start);
  if (bytes.length > 20)
    throw new MalformedInputError({
      inputKind: 'serial',
      message: 'serial is longer than 20 octets (RFC 5280 4.1.2.2)',
    });
  if (bytes[0]! & 0x80) return new Uint8Array([0, ...bytes]);
  return new Uint8Array(bytes);
}

/** Lowercase hex of a serial's DER INTEGER content with leading 00 bytes stripped (as openssl prints it). */
export function serialHexFromDerContent(content: Uint8Array): string {
  let start = 0;
  while (start < content.length - 1 && content[start] === 0) start++;
  return Buffer.from(content.subarray(start)).toString('hex');
}
