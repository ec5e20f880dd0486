/**
 * A copy of a DER CSR whose signature BIT STRING declares `bits` unused bits (the signature bytes
 * unchanged): lenient verifiers still accept it, `openssl req -verify` refuses it.
 */
export function withSignatureUnusedBits(der: Uint8Array, bits: number): Uint8Array {
  for (let i = der.length - 3; i > 0; i--) {
    if (der[i] !== 0x03) continue;
    const first = der[i + 1]!;
    const [length, header] =
      first < 0x80
        ? [first, 2]
        : first === 0x81
          ? [der[i + 2]!, 3]
          : first === 0x82
            ? [(der[i + 2]! << 8) | der[i + 3]!, 4]
            : [-1, 0];
    if (length > 0 && i + header + length === der.length && der[i + header] === 0) {
      const mutated = der.slice();
      mutated[i + header] = bits;
      return mutated;
    }
  }
  throw new Error('no trailing signature BIT STRING found');
}
