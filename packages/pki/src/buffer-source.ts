/** WebCrypto and @peculiar types want ArrayBuffer-backed views; TypeScript cannot prove a Uint8Array is one. */
export function bufferSource(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return bytes.buffer instanceof ArrayBuffer ? (bytes as Uint8Array<ArrayBuffer>) : new Uint8Array(bytes);
}
