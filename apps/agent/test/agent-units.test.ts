import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseEndpoint, verifySettingsOf } from '../src/endpoint-verify.js';
import { createKeyStore, keyAlgorithmFor } from '../src/key-store.js';

describe('keyAlgorithmFor', () => {
  it('maps what the server says the profile allows to the smallest key that satisfies it', () => {
    expect(keyAlgorithmFor(undefined)).toBe('ecdsa-p256');
    expect(keyAlgorithmFor('ECDSA-256')).toBe('ecdsa-p256');
    expect(keyAlgorithmFor('ECDSA')).toBe('ecdsa-p256');
    expect(keyAlgorithmFor('ECDSA-384')).toBe('ecdsa-p384');
    expect(keyAlgorithmFor('RSA-2048')).toBe('rsa-2048');
    expect(keyAlgorithmFor('RSA-3000')).toBe('rsa-3072');
    expect(keyAlgorithmFor('RSA-4096')).toBe('rsa-4096');
    expect(keyAlgorithmFor('Ed25519')).toBe('ed25519');
    expect(() => keyAlgorithmFor('ECDSA-521')).toThrow(/P-256 and P-384/);
    expect(() => keyAlgorithmFor('RSA-8192')).toThrow(/up to 4096/);
    expect(() => keyAlgorithmFor('DSA-1024')).toThrow(/does not know/);
  });
});

describe('endpoint settings', () => {
  it('parses host:port, IPv6 in brackets, and refuses anything else', () => {
    expect(parseEndpoint('127.0.0.1:8443')).toEqual({ host: '127.0.0.1', port: 8443 });
    expect(parseEndpoint('[::1]:443')).toEqual({ host: '::1', port: 443 });
    expect(parseEndpoint('shop.example.com:443')).toEqual({ host: 'shop.example.com', port: 443 });
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (s) => {
        try {
          const { port } = parseEndpoint(s);
          return port >= 1 && port <= 65_535;
        } catch (error) {
          return /is not host:port/.test((error as Error).message);
        }
      }),
    );
    expect(() => parseEndpoint('127.0.0.1:0')).toThrow(/host:port/);
    expect(() => parseEndpoint('127.0.0.1')).toThrow(/host:port/);
  });

  it('reads post_deploy_verify from the target config, unless disabled', () => {
    expect(verifySettingsOf({ post_deploy_verify: { endpoint: 'a:1', server_name: 'a' } })).toEqual({
      endpoint: 'a:1',
      serverName: 'a',
    });
    expect(verifySettingsOf({ post_deploy_verify: { endpoint: 'a:1', enabled: false } })).toBeUndefined();
    expect(verifySettingsOf({ cert_path: '/x' })).toBeUndefined();
    expect(verifySettingsOf(undefined)).toBeUndefined();
  });
});

describe('key store', () => {
  it('writes one 0600 key per job in 0700 dirs and hands back the same key for the same job', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'certctl-keys-'));
    const keys = createKeyStore(join(dir, 'keys'));
    const first = await keys.keyForJob('mc-1', 'job-1', 'ecdsa-p256');
    const again = await keys.keyForJob('mc-1', 'job-1', 'ecdsa-p256');
    expect(first.created).toBe(true);
    expect(again.created).toBe(false);
    expect(again.pem).toBe(first.pem);
    expect(statSync(first.path).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'keys', 'mc-1')).mode & 0o777).toBe(0o700);
    // Ids cannot climb out of the key dir.
    const odd = await keys.keyForJob('../../etc', '../passwd', 'ecdsa-p256');
    expect(odd.path.startsWith(join(dir, 'keys'))).toBe(true);
    const dots = await keys.keyForJob('..', '..', 'ecdsa-p256');
    expect(dots.path.startsWith(join(dir, 'keys', '_'))).toBe(true);
  });
});
