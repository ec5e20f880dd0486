/**
 * PEM (RFC 7468) decoding and encoding. Strict on what matters (matching BEGIN/END labels, valid
 * base64, no encapsulated headers) and tolerant of what tools emit around blocks (explanatory text,
 * CRLF line endings, blank lines), so bundles written by openssl or pasted from a browser parse.
 */
import { MalformedInputError } from '@certctl/core';

export interface PemBlock {
  /** The label between `BEGIN ` and `-----`, e.g. `CERTIFICATE`. */
  label: string;
  der: Uint8Array;
}

const BEGIN_MARKER = '-----BEGIN ';
const DASHES = '-----';
const BASE64_BODY = /^[A-Za-z0-9+/]*={0,2}$/;
const LABEL = /^[\x21-\x2c\x2e-\x7e](?:[\x21-\x7e]| (?! )){0,126}$/;

function malformed(message: string, cause?: unknown): MalformedInputError {
  return new MalformedInputError({ inputKind: 'pem', message, cause });
}

function decodeBase64Body(body: string, label: string): Uint8Array {
  if (body.includes(':')) {
    throw malformed(
      `PEM block "${label}" carries encapsulated headers (legacy encrypted PEM); convert it to PKCS#8 first`,
    );
  }
  const compact = body.replace(/[ \t\r\n]+/g, '');
  if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64_BODY.test(compact)) {
    throw malformed(`PEM block "${label}" does not contain valid base64`);
  }
  return new Uint8Array(Buffer.from(compact, 'base64'));
}

/**
 * Every PEM block in `text`, in order. Text outside blocks is ignored (openssl writes `subject=...`
 * lines before certificates). Returns an empty array when there is no block at all.
 */
export function splitPemBundle(text: string): PemBlock[] {
  if (typeof text !== 'string') throw malformed('PEM input must be a string');
  const blocks: PemBlock[] = [];
  let position = 0;
  for (;;) {
    const begin = text.indexOf(BEGIN_MARKER, position);
    if (begin < 0) break;
    const labelStart = begin + BEGIN_MARKER.length;
    const labelEnd = text.indexOf(DASHES, labelStart);
    if (labelEnd < 0) throw malformed('unterminated PEM BEGIN line');
    const label = text.slice(labelStart, labelEnd);
    if (!LABEL.test(label)) throw malformed('PEM BEGIN line has an invalid label');
    const bodyStart = labelEnd + DASHES.length;
    const endLine = `-----END ${label}-----`;
    const end = text.indexOf(endLine, bodyStart);
    if (end < 0) throw malformed(`PEM block "${label}" has no matching END line`);
    const body = text.slice(bodyStart, end);
    if (body.includes(BEGIN_MARKER)) throw malformed(`PEM block "${label}" contains a nested BEGIN line`);
    blocks.push({ label, der: decodeBase64Body(body, label) });
    position = end + endLine.length;
  }
  return blocks;
}

/**
 * The DER inside the first PEM block of `pem`. With `expectedLabel` (one label or alternatives),
 * the first block with a matching label is taken and a PEM that has none is rejected.
 */
export function pemToDer(pem: string, expectedLabel?: string | readonly string[]): Uint8Array {
  const blocks = splitPemBundle(pem);
  if (blocks.length === 0) throw malformed('no PEM block found (expected "-----BEGIN ...-----")');
  if (expectedLabel === undefined) return blocks[0]!.der;
  const accepted = typeof expectedLabel === 'string' ? [expectedLabel] : expectedLabel;
  const match = blocks.find((block) => accepted.includes(block.label));
  if (!match) {
    throw malformed(
      `expected a PEM block labelled ${accepted.map((l) => `"${l}"`).join(' or ')}, found ${blocks.map((b) => `"${b.label}"`).join(', ')}`,
    );
  }
  return match.der;
}

/** PEM text for `der`: 64-character base64 lines and a trailing newline, as openssl writes it. */
export function derToPem(der: Uint8Array, label: string): string {
  if (!LABEL.test(label)) throw malformed(`"${label}" is not a valid PEM label`);
  const base64 = Buffer.from(der.buffer, der.byteOffset, der.byteLength).toString('base64');
  const lines: string[] = [];
  for (let i = 0; i < base64.length; i += 64) lines.push(base64.slice(i, i + 64));
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

/**
 * DER bytes from either PEM text (the first block labelled one of `labels`) or DER bytes as given.
 * The one entry point parsers use so every public function accepts both forms.
 */
export function derFromPemOrDer(
  input: string | Uint8Array | ArrayBuffer,
  labels: string | readonly string[],
  inputKind: string,
): Uint8Array {
  if (typeof input === 'string') return pemToDer(input, labels);
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  throw new MalformedInputError({ inputKind, message: `${inputKind} must be PEM text or DER bytes` });
}
