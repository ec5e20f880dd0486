import { describe, expect, it } from 'vitest';
import { bytesToCidr, bytesToIp, cidrToBytes, ipToBytes } from './general-names.js';

describe('IP address encoding', () => {
  it.each([
    ['192.0.2.1', 'c0000201', '192.0.2.1'],
    ['2001:db8::1', '20010db8000000000000000000000001', '2001:db8::1'],
    ['::', '00000000000000000000000000000000', '::'],
    ['::ffff:192.0.2.1', '00000000000000000000ffffc0000201', '::ffff:c000:201'],
    ['2001:DB8:0:0:1:0:0:1', '20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
  ])('encodes %s and formats it back canonically', (text, hex, canonical) => {
    expect(Buffer.from(ipToBytes(text)).toString('hex')).toBe(hex);
    expect(bytesToIp(ipToBytes(text))).toBe(canonical);
  });

  it('encodes CIDR ranges as address and mask', () => {
    expect(Buffer.from(cidrToBytes('10.0.0.0/8')).toString('hex')).toBe('0a000000ff000000');
    expect(Buffer.from(cidrToBytes('192.168.4.0/22')).toString('hex')).toBe('c0a80400fffffc00');
    expect(bytesToCidr(cidrToBytes('2001:db8::/32'))).toBe('2001:db8::/32');
  });

  it('rejects text that is not an address or has a bad prefix', () => {
    expect(() => ipToBytes('300.1.1.1')).toThrow(expect.objectContaining({ code: 'malformed_input' }));
    expect(() => ipToBytes('example.test')).toThrow(expect.objectContaining({ code: 'malformed_input' }));
    expect(() => cidrToBytes('10.0.0.0/33')).toThrow(expect.objectContaining({ code: 'malformed_input' }));
  });
});
