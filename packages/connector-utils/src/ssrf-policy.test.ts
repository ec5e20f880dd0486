import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConnectorError } from '@certctl/core';
import fc from 'fast-check';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIpAddress } from './ip-address.js';
import { createSsrfAgent } from './ssrf-agent.js';
import { classifyAddress, createSsrfPolicy } from './ssrf-policy.js';

const FC = { seed: 42, numRuns: 300 };

const ipv4 = (n: number) => formatIpAddress({ family: 4, value: BigInt(n >>> 0) });

describe('classifyAddress', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['169.254.169.254', 'metadata'],
    ['fd00:ec2::254', 'metadata'],
    ['169.254.3.4', 'link-local'],
    ['fe80::1', 'link-local'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'metadata'],
    ['::ffff:a00:1', 'private'],
    ['64:ff9b::a00:1', 'private'],
    ['2002:7f00:1::', 'loopback'],
    ['8.8.8.8', 'public'],
    ['172.32.0.1', 'public'],
    ['2606:4700::1111', 'public'],
  ])('classifies %s as %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  it('judges every IPv4-mapped IPv6 address exactly like the IPv4 address it carries', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (n) => {
        const v4 = ipv4(n);
        expect(classifyAddress(`::ffff:${v4}`)).toBe(classifyAddress(v4));
      }),
      FC,
    );
  });

  it('classifies every address inside the private blocks as private', () => {
    const inBlock = (base: number, bits: number) =>
      fc.integer({ min: 0, max: 2 ** (32 - bits) - 1 }).map((offset) => ipv4(base + offset));
    fc.assert(
      fc.property(
        fc.oneof(inBlock(0x0a000000, 8), inBlock(0xac100000, 12), inBlock(0xc0a80000, 16)),
        (address) => classifyAddress(address) === 'private',
      ),
      FC,
    );
  });

  it('never calls a loopback, link-local or unspecified IPv4 address public', () => {
    const arb = fc.oneof(
      fc.integer({ min: 0x7f000000, max: 0x7fffffff }),
      fc.integer({ min: 0xa9fe0000, max: 0xa9feffff }),
      fc.integer({ min: 0, max: 0x00ffffff }),
    );
    fc.assert(
      fc.property(arb, (n) => classifyAddress(ipv4(n)) !== 'public'),
      FC,
    );
  });
});

describe('createSsrfPolicy().assertUrl', () => {
  const strict = createSsrfPolicy({ connector: 'issuer-test' });

  it.each([
    'http://127.0.0.1/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://0x7f000001/',
    'http://0177.0.0.1/',
    'http://017700000001/',
    'http://127.1/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[0:0:0:0:0:ffff:127.0.0.1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[fd00:ec2::254]/',
    'http://metadata.google.internal/computeMetadata/v1/',
    'http://0.0.0.0/',
    'http://0/',
    'http://10.0.0.1/',
    'http://[fe80::1]/',
  ])('refuses %s', (url) => {
    expect(() => strict.assertUrl(url)).toThrow(/refused to connect/);
  });

  it('refuses schemes other than http and https', () => {
    expect(() => strict.assertUrl('file:///etc/passwd')).toThrow(/scheme file: is not allowed/);
    expect(() => strict.assertUrl('gopher://example.com/')).toThrow(/scheme gopher: is not allowed/);
  });

  it('accepts public literal addresses and names', () => {
    expect(strict.assertUrl('https://8.8.8.8/').hostname).toBe('8.8.8.8');
    expect(strict.assertUrl('https://acme.example.com/dir').hostname).toBe('acme.example.com');
  });

  it('names the connector and the fix in the refusal', () => {
    try {
      strict.assertUrl('http://10.0.0.1/');
      expect.unreachable();
    } catch (error) {
      expect(ConnectorError.isInstance(error)).toBe(true);
      expect((error as Error).message).toMatch(
        /^\[certctl\] \[issuer-test\] refused to connect to 10\.0\.0\.1: private address; set allow_private/,
      );
    }
  });

  it('lets the flags and the allow-list open exactly what they name', () => {
    expect(() => createSsrfPolicy({ allowLoopback: true }).assertUrl('http://127.0.0.1/')).not.toThrow();
    expect(() => createSsrfPolicy({ allowLoopback: true }).assertUrl('http://10.0.0.1/')).toThrow();
    expect(() => createSsrfPolicy({ allowPrivate: true }).assertUrl('http://10.0.0.1/')).not.toThrow();
    expect(() => createSsrfPolicy({ allowPrivate: true }).assertUrl('http://169.254.169.254/')).toThrow(/metadata/);
    const listed = createSsrfPolicy({ allow: ['10.20.0.0/16', 'metadata.google.internal'] });
    expect(() => listed.assertUrl('http://10.20.3.4/')).not.toThrow();
    expect(() => listed.assertUrl('http://10.21.3.4/')).toThrow();
    expect(() => listed.assertUrl('http://metadata.google.internal/')).not.toThrow();
  });

  it('rejects a malformed allow-list entry as a configuration error', () => {
    expect(() => createSsrfPolicy({ allow: ['10.0.0.0/99'] })).toThrow(/ssrf.allow/);
  });
});

describe('createSsrfPolicy().resolveChecked', () => {
  it('refuses a name when any of its addresses is refused', async () => {
    const policy = createSsrfPolicy({
      resolve: async () => [
        { address: '93.184.216.34', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ],
    });
    await expect(policy.resolveChecked('rebind.example')).rejects.toThrow(
      /rebind\.example \(127\.0\.0\.1\): loopback address/,
    );
  });

  it('allows private answers for an allow-listed hostname pattern', async () => {
    const policy = createSsrfPolicy({
      allow: ['*.corp.example'],
      resolve: async () => [{ address: '10.1.1.1', family: 4 }],
    });
    await expect(policy.resolveChecked('vault.corp.example')).resolves.toEqual([{ address: '10.1.1.1', family: 4 }]);
    await expect(policy.resolveChecked('corp.example.evil')).rejects.toThrow(/private address/);
  });
});

describe('createSsrfAgent', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = createServer((_req, res) => res.end('inside'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('refuses to connect to a loopback literal before any byte is sent', async () => {
    const agent = createSsrfAgent(createSsrfPolicy());
    await expect(request(`http://127.0.0.1:${port}/`, { dispatcher: agent })).rejects.toThrow(/loopback address/);
    await agent.close();
  });

  it('refuses a name that resolves to loopback at connect time', async () => {
    const agent = createSsrfAgent(createSsrfPolicy({ resolve: async () => [{ address: '127.0.0.1', family: 4 }] }));
    await expect(request(`http://innocent.example:${port}/`, { dispatcher: agent })).rejects.toThrow(
      /innocent\.example \(127\.0\.0\.1\): loopback address/,
    );
    await agent.close();
  });

  it('connects to the address the policy checked, not to a fresh resolution', async () => {
    let resolutions = 0;
    const policy = createSsrfPolicy({
      allowLoopback: true,
      resolve: async () => {
        resolutions++;
        return [{ address: '127.0.0.1', family: 4 }];
      },
    });
    const agent = createSsrfAgent(policy);
    // service.certctl-test does not exist in any DNS: reaching the server proves the pinned lookup was used.
    const response = await request(`http://service.certctl-test:${port}/`, { dispatcher: agent });
    expect(await response.body.text()).toBe('inside');
    expect(resolutions).toBe(1);
    await agent.close();
  });
});
