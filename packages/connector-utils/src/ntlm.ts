/**
 * NTLMv2 client messages (MS-NLMP) for WinRM's Negotiate authentication over HTTPS. MD4 is computed
 * here because OpenSSL 3 no longer offers it by default.
 */
import { createHmac, randomBytes } from 'node:crypto';

const rotl = (x: number, n: number) => ((x << n) | (x >>> (32 - n))) >>> 0;

/** MD4 (RFC 1320): only for the NT hash NTLM is built on. */
export function md4(input: Uint8Array): Buffer {
  const bitLength = input.length * 8;
  const padded = Buffer.alloc((((input.length + 8) >> 6) + 1) << 6);
  padded.set(input);
  padded[input.length] = 0x80;
  padded.writeUInt32LE(bitLength >>> 0, padded.length - 8);
  padded.writeUInt32LE(Math.floor(bitLength / 2 ** 32), padded.length - 4);
  let [a, b, c, d] = [0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476];
  const f = (x: number, y: number, z: number) => (x & y) | (~x & z);
  const g = (x: number, y: number, z: number) => (x & y) | (x & z) | (y & z);
  const h = (x: number, y: number, z: number) => x ^ y ^ z;
  const rounds: Array<[typeof f, number, number[], number[]]> = [
    [f, 0, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15], [3, 7, 11, 19]],
    [g, 0x5a827999, [0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15], [3, 5, 9, 13]],
    [h, 0x6ed9eba1, [0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15], [3, 9, 11, 15]],
  ];
  for (let offset = 0; offset < padded.length; offset += 64) {
    const x = Array.from({ length: 16 }, (_, i) => padded.readUInt32LE(offset + i * 4));
    const [aa, bb, cc, dd] = [a, b, c, d];
    for (const [fn, k, order, shifts] of rounds) {
      for (let i = 0; i < 16; i++) {
        const t = rotl((a + fn(b, c, d) + x[order[i]!]! + k) >>> 0, shifts[i % 4]!);
        [a, b, c, d] = [d, t, b, c];
      }
    }
    a = (a + aa) >>> 0;
    b = (b + bb) >>> 0;
    c = (c + cc) >>> 0;
    d = (d + dd) >>> 0;
  }
  const out = Buffer.alloc(16);
  for (const [i, v] of [a, b, c, d].entries()) out.writeUInt32LE(v, i * 4);
  return out;
}

const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');
/** UNICODE | REQUEST_TARGET | NTLM | ALWAYS_SIGN | EXTENDED_SESSIONSECURITY | TARGET_INFO | 128 | 56 */
export const NTLM_NEGOTIATE_FLAGS = 0xa0888205;

const utf16 = (text: string) => Buffer.from(text, 'utf16le');
const hmacMd5 = (key: Uint8Array, ...data: Uint8Array[]) => {
  const mac = createHmac('md5', key);
  for (const d of data) mac.update(d);
  return mac.digest();
};

/** NTOWFv2: HMAC-MD5 keyed by MD4(password) over upper(user) + domain, UTF-16LE. */
export function ntowfv2(password: string, user: string, domain: string): Buffer {
  return hmacMd5(md4(utf16(password)), utf16(user.toUpperCase() + domain));
}

/** `DOMAIN\user` or `user@domain` into its parts; a bare name has an empty domain. */
export function splitNtlmUser(username: string): { user: string; domain: string } {
  const backslash = username.indexOf('\\');
  if (backslash > 0) return { domain: username.slice(0, backslash), user: username.slice(backslash + 1) };
  return { user: username, domain: '' };
}

/** Type 1 (NEGOTIATE_MESSAGE) without domain or workstation. */
export function ntlmNegotiateMessage(): Buffer {
  const message = Buffer.alloc(32);
  SIGNATURE.copy(message, 0);
  message.writeUInt32LE(1, 8);
  message.writeUInt32LE(NTLM_NEGOTIATE_FLAGS, 12);
  return message;
}

export interface NtlmChallenge {
  flags: number;
  serverChallenge: Buffer;
  targetInfo: Buffer;
}

/** Reads a type 2 (CHALLENGE_MESSAGE); throws on anything else. */
export function parseNtlmChallenge(message: Buffer): NtlmChallenge {
  if (message.length < 48 || !message.subarray(0, 8).equals(SIGNATURE) || message.readUInt32LE(8) !== 2) {
    throw new Error('not an NTLM challenge message');
  }
  const infoLength = message.readUInt16LE(40);
  const infoOffset = message.readUInt32LE(44);
  if (infoOffset + infoLength > message.length) throw new Error('NTLM challenge target info out of bounds');
  return {
    flags: message.readUInt32LE(20),
    serverChallenge: Buffer.from(message.subarray(24, 32)),
    targetInfo: Buffer.from(message.subarray(infoOffset, infoOffset + infoLength)),
  };
}

/** The MsvAvTimestamp (AvId 7) of a target info, when the server sent one. */
function targetInfoTimestamp(targetInfo: Buffer): Buffer | undefined {
  for (let offset = 0; offset + 4 <= targetInfo.length; ) {
    const id = targetInfo.readUInt16LE(offset);
    const length = targetInfo.readUInt16LE(offset + 2);
    if (id === 0) return undefined;
    if (id === 7 && length === 8) return Buffer.from(targetInfo.subarray(offset + 4, offset + 12));
    offset += 4 + length;
  }
  return undefined;
}

/** FILETIME: 100 ns intervals since 1601, little endian. */
export function fileTime(date: Date): Buffer {
  const out = Buffer.alloc(8);
  out.writeBigUInt64LE((BigInt(date.getTime()) + 11644473600000n) * 10000n);
  return out;
}

export interface NtlmResponses {
  lmChallengeResponse: Buffer;
  ntChallengeResponse: Buffer;
}

/** NTLMv2 responses (MS-NLMP 3.3.2). */
export function ntlmV2Responses(options: {
  responseKeyNt: Buffer;
  serverChallenge: Buffer;
  clientChallenge: Buffer;
  timestamp: Buffer;
  targetInfo: Buffer;
}): NtlmResponses {
  const temp = Buffer.concat([
    Buffer.from([1, 1, 0, 0, 0, 0, 0, 0]),
    options.timestamp,
    options.clientChallenge,
    Buffer.alloc(4),
    options.targetInfo,
    Buffer.alloc(4),
  ]);
  const proof = hmacMd5(options.responseKeyNt, options.serverChallenge, temp);
  return {
    ntChallengeResponse: Buffer.concat([proof, temp]),
    lmChallengeResponse: Buffer.concat([
      hmacMd5(options.responseKeyNt, options.serverChallenge, options.clientChallenge),
      options.clientChallenge,
    ]),
  };
}

/** Type 3 (AUTHENTICATE_MESSAGE) answering `challenge` for `username` (DOMAIN\user) and `password`. */
export function ntlmAuthenticateMessage(
  challenge: NtlmChallenge,
  username: string,
  password: string,
  options: { now?: Date; clientChallenge?: Buffer; workstation?: string } = {},
): Buffer {
  const { user, domain } = splitNtlmUser(username);
  const timestamp = targetInfoTimestamp(challenge.targetInfo) ?? fileTime(options.now ?? new Date());
  const responses = ntlmV2Responses({
    responseKeyNt: ntowfv2(password, user, domain),
    serverChallenge: challenge.serverChallenge,
    clientChallenge: options.clientChallenge ?? randomBytes(8),
    timestamp,
    targetInfo: challenge.targetInfo,
  });
  const fields = [
    responses.lmChallengeResponse,
    responses.ntChallengeResponse,
    utf16(domain),
    utf16(user),
    utf16(options.workstation ?? 'CERTCTL'),
    Buffer.alloc(0),
  ];
  const header = Buffer.alloc(64);
  SIGNATURE.copy(header, 0);
  header.writeUInt32LE(3, 8);
  let offset = 64;
  fields.forEach((field, i) => {
    header.writeUInt16LE(field.length, 12 + i * 8);
    header.writeUInt16LE(field.length, 14 + i * 8);
    header.writeUInt32LE(offset, 16 + i * 8);
    offset += field.length;
  });
  header.writeUInt32LE((NTLM_NEGOTIATE_FLAGS & challenge.flags) >>> 0, 60);
  return Buffer.concat([header, ...fields]);
}

/** The parts of a type 3 message a server checks (for fakes). */
export function parseNtlmAuthenticate(message: Buffer): {
  lmChallengeResponse: Buffer;
  ntChallengeResponse: Buffer;
  domain: string;
  user: string;
  workstation: string;
} {
  if (message.length < 64 || !message.subarray(0, 8).equals(SIGNATURE) || message.readUInt32LE(8) !== 3) {
    throw new Error('not an NTLM authenticate message');
  }
  const field = (i: number) => {
    const length = message.readUInt16LE(12 + i * 8);
    const offset = message.readUInt32LE(16 + i * 8);
    if (offset + length > message.length) throw new Error('NTLM field out of bounds');
    return Buffer.from(message.subarray(offset, offset + length));
  };
  return {
    lmChallengeResponse: field(0),
    ntChallengeResponse: field(1),
    domain: field(2).toString('utf16le'),
    user: field(3).toString('utf16le'),
    workstation: field(4).toString('utf16le'),
  };
}
