import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MalformedInputError } from '@certctl/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildCombinedPem,
  buildFullchain,
  normalizePem,
  orderCertificateChain,
  privateKeyPemFor,
  splitCertificates,
} from './pem-bundle.js';

let dir: string;
const pem: Record<string, string> = {};

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}
const newKey = (name: string) => [
  '-newkey',
  'ec',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-nodes',
  '-keyout',
  `${name}.key`,
];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'certctl-pem-'));
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
  openssl(
    'req',
    '-x509',
    ...newKey('root'),
    '-out',
    'root.crt',
    '-subj',
    '/CN=Test Root',
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
  );
  openssl('req', '-new', ...newKey('int'), '-out', 'int.csr', '-subj', '/CN=Test Intermediate');
  openssl(
    'x509',
    '-req',
    '-in',
    'int.csr',
    '-CA',
    'root.crt',
    '-CAkey',
    'root.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'ca.ext',
    '-out',
    'int.crt',
  );
  openssl('req', '-new', ...newKey('leaf'), '-out', 'leaf.csr', '-subj', '/CN=www.example.test');
  openssl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'int.crt',
    '-CAkey',
    'int.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    'leaf.crt',
  );
  openssl('req', '-x509', ...newKey('other'), '-out', 'other.crt', '-subj', '/CN=Unrelated', '-days', '2');
  openssl('req', '-new', ...newKey('leaf2'), '-out', 'leaf2.csr', '-subj', '/CN=second.example.test');
  openssl(
    'x509',
    '-req',
    '-in',
    'leaf2.csr',
    '-CA',
    'int.crt',
    '-CAkey',
    'int.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    'leaf2.crt',
  );
  for (const name of ['root', 'int', 'leaf', 'other', 'leaf2']) {
    pem[name] = readFileSync(join(dir, `${name}.crt`), 'utf8');
    pem[`${name}Key`] = readFileSync(join(dir, `${name}.key`), 'utf8');
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('normalizePem', () => {
  it('uses LF, drops a BOM, trailing blanks and blank edges, and ends with one newline', () => {
    expect(normalizePem('\uFEFF\r\n-----BEGIN X-----  \r\nAAAA\r\n-----END X-----\r\n\r\n\r\n')).toBe(
      '-----BEGIN X-----\nAAAA\n-----END X-----\n',
    );
    expect(normalizePem('\n\n')).toBe('');
  });

  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.string(), (text) => normalizePem(normalizePem(text)) === normalizePem(text)),
      { seed: 42, numRuns: 300 },
    );
  });
});

describe('splitCertificates', () => {
  it('returns each certificate of a CRLF bundle with text around the blocks, canonically encoded', () => {
    const bundle = `subject=CN=www\r\n${pem.leaf!.replace(/\n/g, '\r\n')}\r\nissuer=...\r\n${pem.int}`;
    expect(splitCertificates(bundle)).toEqual([pem.leaf, pem.int]);
  });

  it('refuses a bundle that carries a private key', () => {
    expect(() => splitCertificates(pem.leaf! + pem.leafKey!)).toThrow(/holds a "PRIVATE KEY" block/);
  });
});

describe('orderCertificateChain', () => {
  it('orders a shuffled bundle leaf, intermediate, root and drops duplicates', () => {
    expect(orderCertificateChain([pem.root! + pem.leaf!, pem.int!, pem.root!])).toEqual([pem.leaf, pem.int, pem.root]);
  });

  it('refuses a certificate that is not in the leaf chain', () => {
    expect(() => orderCertificateChain([pem.leaf!, pem.int!, pem.other!])).toThrow(MalformedInputError);
  });

  it('refuses two leaves', () => {
    expect(() => orderCertificateChain([pem.leaf!, pem.leaf2!, pem.int!])).toThrow(/2 of them issue nothing/);
  });
});

describe('buildFullchain', () => {
  it('joins the leaf with its ordered chain, optionally without the root', () => {
    expect(buildFullchain(pem.leaf!, pem.root! + pem.int!)).toBe(pem.leaf! + pem.int! + pem.root!);
    expect(buildFullchain(pem.leaf!, pem.root! + pem.int!, { dropRoot: true })).toBe(pem.leaf! + pem.int!);
    expect(buildFullchain(pem.leaf!)).toBe(pem.leaf);
  });

  it('refuses a chain that does not belong to the certificate', () => {
    expect(() => buildFullchain(pem.leaf!, pem.other!)).toThrow(
      /does not hold the issuer of the certificate \(CN=Test Intermediate\)/,
    );
  });

  it('refuses a chain with an extra certificate the leaf does not need', () => {
    expect(() => buildFullchain(pem.leaf!, pem.int! + pem.other!)).toThrow(/outside the leaf's chain: CN=Unrelated/);
  });

  it('tolerates the leaf repeated at the head of the chain', () => {
    expect(buildFullchain(pem.leaf!, pem.leaf! + pem.int!)).toBe(pem.leaf! + pem.int!);
  });
});

describe('buildCombinedPem', () => {
  it('writes fullchain then key, as HAProxy wants', () => {
    const combined = buildCombinedPem(pem.leaf!, pem.int!, pem.leafKey!.replace(/\n/g, '\r\n'));
    expect(combined.startsWith(pem.leaf! + pem.int!)).toBe(true);
    expect(combined.endsWith('-----END PRIVATE KEY-----\n')).toBe(true);
    expect(combined.includes('\r')).toBe(false);
  });

  it('refuses a key that does not belong to the certificate, without echoing it', () => {
    const error = (() => {
      try {
        buildCombinedPem(pem.leaf!, pem.int!, pem.otherKey!);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(error?.message).toContain('does not belong to the certificate');
    expect(error?.message).not.toContain('PRIVATE KEY-----');
  });
});

describe('privateKeyPemFor', () => {
  it('returns the key as one canonical block when it belongs to the leaf, and refuses another key', () => {
    expect(privateKeyPemFor(pem.leaf!, pem.leafKey!.replace(/\n/g, '\r\n'))).toBe(normalizePem(pem.leafKey!));
    expect(() => privateKeyPemFor(pem.leaf!, pem.otherKey!)).toThrow(MalformedInputError);
    expect(() => privateKeyPemFor(pem.leaf!, pem.leafKey! + pem.leafKey!)).toThrow(/exactly one/);
  });
});
