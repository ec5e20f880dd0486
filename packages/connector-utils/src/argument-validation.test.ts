import { MalformedInputError } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { validateArgument } from './argument-validation.js';

describe('validateArgument', () => {
  it.each([
    ['0A:1b:FF', '0a1bff'],
    ['7f3e9a2c44d1b0e5', '7f3e9a2c44d1b0e5'],
    ['00', '00'],
  ])('normalises the hex serial %s', (value, expected) => {
    expect(validateArgument(value, 'hex-serial')).toBe(expected);
  });

  it.each(['', '-1', 'xyz', '0x1f', '1f 2e', ':1f', '1f::2e', 'a'.repeat(41), '--serial=1'])(
    'refuses the hex serial %j',
    (value) => {
      expect(() => validateArgument(value, 'hex-serial')).toThrow(MalformedInputError);
    },
  );

  it.each([
    ['keyCompromise', 'keyCompromise'],
    ['key_compromise', 'keyCompromise'],
    ['CACompromise', 'caCompromise'],
    ['cessation-of-operation', 'cessationOfOperation'],
    ['removeFromCRL', 'removeFromCRL'],
  ])('accepts the reason %s as %s', (value, expected) => {
    expect(validateArgument(value, 'revocation-reason')).toBe(expected);
  });

  it('refuses an unknown reason and lists the valid ones', () => {
    expect(() => validateArgument('stolen', 'revocation-reason')).toThrow(
      /"stolen" is not an RFC 5280 reason \(unspecified, keyCompromise/,
    );
  });

  it.each([
    ['WWW.Example.com.', 'www.example.com'],
    ['*.example.com', '*.example.com'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
  ])('accepts the hostname %s', (value, expected) => {
    expect(validateArgument(value, 'hostname')).toBe(expected);
  });

  it.each([
    '',
    '-evil.example',
    'a_b.example',
    'a..b',
    '*.com',
    'foo.*.example',
    `${'a'.repeat(64)}.example`,
    'host name',
    'a;b',
  ])('refuses the hostname %j', (value) => {
    expect(() => validateArgument(value, 'hostname')).toThrow(MalformedInputError);
  });

  it('accepts ordinary file paths and refuses option-like, NUL or multi-line ones', () => {
    expect(validateArgument('/etc/ssl/certs/site.pem', 'file-path')).toBe('/etc/ssl/certs/site.pem');
    expect(validateArgument('relative/ok.pem', 'file-path')).toBe('relative/ok.pem');
    for (const bad of ['', '-rf', '--config=/x', '/etc/a\0b', '/etc/a\nb']) {
      expect(() => validateArgument(bad, 'file-path')).toThrow(MalformedInputError);
    }
  });
});
