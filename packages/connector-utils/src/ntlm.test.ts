import { describe, expect, it } from 'vitest';
import {
  md4,
  ntlmAuthenticateMessage,
  ntlmNegotiateMessage,
  ntlmV2Responses,
  ntowfv2,
  parseNtlmAuthenticate,
  parseNtlmChallenge,
  splitNtlmUser,
} from './ntlm.js';

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('md4', () => {
  it('matches the RFC 1320 test suite', () => {
    expect(md4(Buffer.from('')).toString('hex')).toBe('31d6cfe0d16ae931b73c59d7e0c089c0');
    expect(md4(Buffer.from('abc')).toString('hex')).toBe('a448017aaf21d8525fc10ae87aa6729d');
    expect(md4(Buffer.from('message digest')).toString('hex')).toBe('d9130a8164549fe818874806e1c7014b');
    expect(
      md4(Buffer.from('12345678901234567890123456789012345678901234567890123456789012345678901234567890')).toString(
        'hex',
      ),
    ).toBe('e33b4ddc9c38f2199c3e7b164fcc0536');
  });
});

describe('NTLMv2 (MS-NLMP 4.2.4 test vectors)', () => {
  const serverChallenge = hex('0123456789abcdef');
  const clientChallenge = hex('aaaaaaaaaaaaaaaa');
  const targetInfo = Buffer.concat([
    hex('02000c00'),
    Buffer.from('Domain', 'utf16le'),
    hex('01000c00'),
    Buffer.from('Server', 'utf16le'),
    hex('00000000'),
  ]);

  it('NTOWFv2, NTProofStr and the LMv2 response', () => {
    const key = ntowfv2('Password', 'User', 'Domain');
    expect(key.toString('hex')).toBe('0c868a403bfd7a93a3001ef22ef02e3f');
    const responses = ntlmV2Responses({
      responseKeyNt: key,
      serverChallenge,
      clientChallenge,
      timestamp: Buffer.alloc(8),
      targetInfo,
    });
    expect(responses.ntChallengeResponse.subarray(0, 16).toString('hex')).toBe('68cd0ab851e51c96aabc927bebef6a1c');
    expect(responses.lmChallengeResponse.toString('hex')).toBe('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
  });

  it('messages round-trip through their parsers', () => {
    expect(ntlmNegotiateMessage().subarray(0, 8).toString('latin1')).toBe('NTLMSSP\0');
    const type2 = Buffer.alloc(48 + targetInfo.length);
    type2.write('NTLMSSP\0', 0, 'latin1');
    type2.writeUInt32LE(2, 8);
    type2.writeUInt32LE(0xa2898205, 20);
    serverChallenge.copy(type2, 24);
    type2.writeUInt16LE(targetInfo.length, 40);
    type2.writeUInt16LE(targetInfo.length, 42);
    type2.writeUInt32LE(48, 44);
    targetInfo.copy(type2, 48);
    const challenge = parseNtlmChallenge(type2);
    const type3 = parseNtlmAuthenticate(
      ntlmAuthenticateMessage(challenge, 'Domain\\User', 'Password', { clientChallenge }),
    );
    expect(type3.user).toBe('User');
    expect(type3.domain).toBe('Domain');
    expect(type3.lmChallengeResponse.toString('hex')).toBe('86c35097ac9cec102554764a57cccc19aaaaaaaaaaaaaaaa');
    expect(splitNtlmUser('alice')).toEqual({ user: 'alice', domain: '' });
  });
});
