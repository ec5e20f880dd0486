import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  checkKnownHosts,
  hostKeyFingerprint,
  knownHostsName,
  normalizeFingerprint,
  parseKnownHosts,
} from './host-key.js';

const dir = mkdtempSync(join(tmpdir(), 'certctl-host-key-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh ed25519 key from ssh-keygen: its .pub line, wire blob and ssh-keygen's own fingerprint. */
function realKey(name: string) {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', path]);
  const line = readFileSync(`${path}.pub`, 'utf8').trim();
  const [type, base64] = line.split(' ') as [string, string];
  const fingerprint = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], {
    encoding: 'utf8',
  }).split(' ')[1]!;
  return { type, base64, blob: Buffer.from(base64, 'base64'), fingerprint };
}

const hostKey = realKey('host');
const otherKey = realKey('other');

describe('host key fingerprints', () => {
  it('match what ssh-keygen -l prints', () => {
    expect(hostKeyFingerprint(hostKey.blob)).toBe(hostKey.fingerprint);
  });
  it('are accepted with or without the SHA256: prefix and padding, and nothing else', () => {
    const bare = hostKey.fingerprint.slice('SHA256:'.length);
    expect(normalizeFingerprint(bare)).toBe(hostKey.fingerprint);
    expect(normalizeFingerprint(`${hostKey.fingerprint}=`)).toBe(hostKey.fingerprint);
    expect(normalizeFingerprint('MD5:aa:bb')).toBeUndefined();
    expect(normalizeFingerprint(`${hostKey.fingerprint}x`)).toBeUndefined();
  });
});

describe('known_hosts', () => {
  const line = (hosts: string, key = hostKey) => `${hosts} ${key.type} ${key.base64}`;

  it('names a host on port 22 plainly and on other ports as [host]:port', () => {
    expect(knownHostsName('web.example', 22)).toBe('web.example');
    expect(knownHostsName('127.0.0.1', 2222)).toBe('[127.0.0.1]:2222');
  });

  it('accepts the listed key, and says "changed" when the host is listed with another key', () => {
    const text = `# comment\n\n${line('[127.0.0.1]:2222,web.example')}\n`;
    expect(checkKnownHosts(text, '127.0.0.1', 2222, hostKey.blob)).toEqual({ kind: 'match' });
    expect(checkKnownHosts(text, 'web.example', 22, hostKey.blob)).toEqual({ kind: 'match' });
    expect(checkKnownHosts(text, '127.0.0.1', 2222, otherKey.blob)).toEqual({ kind: 'changed', line: 3 });
    // The same address on another port is another host.
    expect(checkKnownHosts(text, '127.0.0.1', 22, hostKey.blob)).toEqual({ kind: 'unknown' });
  });

  it('reads the hashed names ssh-keygen -H writes', () => {
    const path = join(dir, 'known_hosts_hashed');
    writeFileSync(path, `${line('[127.0.0.1]:2222')}\n${line('db.example', otherKey)}\n`);
    execFileSync('ssh-keygen', ['-H', '-f', path], { stdio: 'pipe' });
    const hashed = readFileSync(path, 'utf8');
    expect(hashed).not.toContain('127.0.0.1');
    expect(checkKnownHosts(hashed, '127.0.0.1', 2222, hostKey.blob)).toEqual({ kind: 'match' });
    expect(checkKnownHosts(hashed, 'db.example', 22, otherKey.blob)).toEqual({ kind: 'match' });
    expect(checkKnownHosts(hashed, 'db.example', 22, hostKey.blob).kind).toBe('changed');
    expect(checkKnownHosts(hashed, 'mail.example', 22, hostKey.blob)).toEqual({ kind: 'unknown' });
  });

  it('honours wildcards and negations, and refuses a key marked @revoked for any host', () => {
    const text = `${line('*.example,!bad.example')}\n@revoked * ${otherKey.type} ${otherKey.base64}\n`;
    expect(checkKnownHosts(text, 'web.example', 22, hostKey.blob)).toEqual({ kind: 'match' });
    expect(checkKnownHosts(text, 'bad.example', 22, hostKey.blob)).toEqual({ kind: 'unknown' });
    expect(checkKnownHosts(text, 'web.example', 22, otherKey.blob)).toEqual({ kind: 'revoked', line: 2 });
  });

  it('does not treat a @cert-authority line as a plain host key', () => {
    const text = `@cert-authority *.example ${hostKey.type} ${hostKey.base64}\n`;
    expect(checkKnownHosts(text, 'web.example', 22, hostKey.blob)).toEqual({ kind: 'unknown' });
  });

  it('never throws on arbitrary text and only matches a key that is listed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 400 }), fc.uint8Array({ minLength: 1, maxLength: 64 }), (text, blob) => {
        expect(() => parseKnownHosts(text)).not.toThrow();
        const verdict = checkKnownHosts(text, 'host.example', 22, blob);
        if (verdict.kind === 'match') expect(text).toContain(Buffer.from(blob).toString('base64').slice(0, 4));
      }),
    );
  });
});
