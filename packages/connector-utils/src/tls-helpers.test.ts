import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigValidationError, ConnectorError, DeadlineExceededError, MalformedInputError } from '@certctl/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandRunner } from './command-runner.js';
import { describeLeaf, isSameCertificate, readDeployedCertificate } from './deployed-certificate.js';
import { createOperatorCommand } from './operator-command-step.js';
import { prepareTlsMaterial } from './tls-material.js';

let dir: string;
const read = (name: string) => readFileSync(join(dir, name), 'utf8');
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' }).toString();
const ecKey = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'certctl-tls-material-'));
  writeFileSync(join(dir, 'ca.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n');
  openssl('req', '-x509', ...ecKey, '-keyout', 'ca.key', '-out', 'ca.crt', '-subj', '/CN=Test CA', '-days', '2');
  openssl('req', '-new', ...ecKey, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/CN=leaf.test');
  openssl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-set_serial',
    '0x00ab01',
    '-out',
    'leaf.crt',
    '-days',
    '1',
  );
  openssl('genpkey', '-algorithm', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'other.key');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('prepareTlsMaterial', () => {
  it('splits a request into leaf, chain, fullchain and key that openssl accepts together', () => {
    const material = prepareTlsMaterial({
      certPem: read('leaf.crt'),
      chainPem: read('ca.crt'),
      keyPem: read('leaf.key'),
    });
    expect(material.fullchainPem).toBe(material.leafPem + material.chainPem);
    writeFileSync(join(dir, 'out-fullchain.pem'), material.fullchainPem);
    writeFileSync(join(dir, 'out-key.pem'), material.keyPem);
    writeFileSync(join(dir, 'out-chain.pem'), material.chainPem);
    expect(openssl('verify', '-CAfile', 'out-chain.pem', 'out-fullchain.pem')).toContain('OK');
    const certPub = openssl('x509', '-in', 'out-fullchain.pem', '-noout', '-pubkey');
    const keyPub = openssl('pkey', '-in', 'out-key.pem', '-pubout');
    expect(keyPub).toBe(certPub);
    expect(material.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----\n[\s\S]+-----END PRIVATE KEY-----\n$/);
  });

  it('refuses a key that does not match the leaf with a MalformedInputError naming the connector', () => {
    const attempt = () =>
      prepareTlsMaterial(
        { certPem: read('leaf.crt'), chainPem: read('ca.crt'), keyPem: read('other.key') },
        'target-x',
      );
    expect(attempt).toThrow(MalformedInputError);
    expect(attempt).toThrow(/\[target-x\].*does not belong to the certificate/);
  });

  it('refuses a key smuggled into the certificate field', () => {
    expect(() =>
      prepareTlsMaterial({ certPem: read('leaf.crt') + read('leaf.key'), chainPem: '', keyPem: read('leaf.key') }),
    ).toThrow(MalformedInputError);
  });

  it('throws only MalformedInputError for arbitrary text', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), (cert, key) => {
        try {
          prepareTlsMaterial({ certPem: cert, chainPem: '', keyPem: key });
          return false;
        } catch (error) {
          return MalformedInputError.isInstance(error);
        }
      }),
      { seed: 7, numRuns: 200 },
    );
  });
});

describe('readDeployedCertificate', () => {
  it('reads the serial and fingerprint of the leaf as openssl prints them', async () => {
    writeFileSync(join(dir, 'deployed.pem'), read('leaf.crt') + read('ca.crt'));
    const deployed = await readDeployedCertificate(join(dir, 'deployed.pem'));
    const serial = openssl('x509', '-in', 'leaf.crt', '-noout', '-serial').trim().split('=')[1]!;
    const fingerprint = openssl('x509', '-in', 'leaf.crt', '-noout', '-fingerprint', '-sha256').trim().split('=')[1]!;
    expect(deployed?.serial).toBe(serial.toLowerCase());
    expect(deployed?.serial).toBe('ab01');
    expect(deployed?.fingerprintSha256).toBe(fingerprint.replace(/:/g, '').toLowerCase());
    expect(isSameCertificate(deployed, { serial: '00:AB:01' })).toBe(true);
    expect(isSameCertificate(deployed, { serial: 'ab01', fingerprintSha256: fingerprint })).toBe(true);
    expect(isSameCertificate(deployed, { serial: 'ab02' })).toBe(false);
    expect(isSameCertificate(deployed, { serial: 'ab01', fingerprintSha256: '00'.repeat(32) })).toBe(false);
  });

  it('answers undefined for a missing file or a file without certificates', async () => {
    expect(await readDeployedCertificate(join(dir, 'nope.pem'))).toBeUndefined();
    expect(describeLeaf(read('leaf.key'))).toBeUndefined();
    expect(isSameCertificate(undefined, { serial: 'ab01' })).toBe(false);
  });
});

describe('createOperatorCommand', () => {
  const exec = createCommandRunner();

  it('runs the parsed argv and resolves on exit 0', async () => {
    const command = createOperatorCommand(`/usr/bin/touch '${join(dir, 'ran')}'`, { field: 'reload_command' });
    expect(command.argv).toEqual(['/usr/bin/touch', join(dir, 'ran')]);
    await command.run(exec);
    expect(readFileSync(join(dir, 'ran'), 'utf8')).toBe('');
  });

  it('throws a ConnectorError with the field, exit code and output on failure', async () => {
    writeFileSync(join(dir, 'fail.sh'), 'echo broken config >&2\nexit 3\n');
    const command = createOperatorCommand(`/bin/sh ${join(dir, 'fail.sh')}`, {
      field: 'validate_command',
      connector: 'target-x',
    });
    const error = await command.run(exec).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/\[target-x\] validate_command .* exited with 3: broken config/);
  });

  it('throws a DeadlineExceededError when the command overruns', async () => {
    const command = createOperatorCommand('/bin/sleep 5', { field: 'reload_command', timeoutMs: 100 });
    const error = await command.run(exec).catch((e: unknown) => e);
    expect(DeadlineExceededError.isInstance(error)).toBe(true);
  });

  it('refuses shell metacharacters when the config is parsed', () => {
    expect(() => createOperatorCommand('postfix reload; rm -rf /', { field: 'reload_command' })).toThrow(
      ConfigValidationError,
    );
  });
});
