import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDeployedCertificate } from './deployed-certificate.js';

let dir: string;
let certPem: string;
let serial: string;
let fingerprint: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'certctl-deployed-'));
  // Serial with a leading zero nibble so canonicalisation is exercised.
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'k.pem',
      '-out',
      'c.pem',
      '-subj',
      '/CN=deployed.test',
      '-days',
      '1',
      '-set_serial',
      '0x0a1b2c',
    ],
    { cwd: dir, stdio: 'pipe' },
  );
  certPem = readFileSync(join(dir, 'c.pem'), 'utf8');
  serial = '0a1b2c';
  fingerprint = execFileSync('openssl', ['x509', '-in', 'c.pem', '-noout', '-fingerprint', '-sha256'], { cwd: dir })
    .toString()
    .split('=')[1]!
    .trim()
    .replace(/:/g, '')
    .toLowerCase();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('checkDeployedCertificate', () => {
  it('finds the serial and fingerprint openssl reports, in a combined PEM with the key after it', async () => {
    const path = join(dir, 'combined.pem');
    writeFileSync(path, certPem + readFileSync(join(dir, 'k.pem'), 'utf8'));
    const result = await checkDeployedCertificate(path, { serial: '0A:1B:2C', fingerprintSha256: fingerprint });
    expect(result).toMatchObject({ valid: true, observedSerial: serial });
  });

  it('reports another serial, another fingerprint, a missing file and garbage as invalid', async () => {
    const path = join(dir, 'c.pem');
    expect(await checkDeployedCertificate(path, { serial: '0a1b2d' })).toMatchObject({
      valid: false,
      observedSerial: serial,
    });
    expect((await checkDeployedCertificate(path, { serial, fingerprintSha256: '00'.repeat(32) })).valid).toBe(false);
    expect((await checkDeployedCertificate(join(dir, 'missing.pem'), { serial })).detail).toContain('does not exist');
    writeFileSync(join(dir, 'garbage.pem'), '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect((await checkDeployedCertificate(join(dir, 'garbage.pem'), { serial })).valid).toBe(false);
  });

  it('never throws on arbitrary file contents', async () => {
    const path = join(dir, 'fuzz.pem');
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.string(),
          fc.uint8Array().map((b) => Buffer.from(b).toString('latin1')),
        ),
        async (text) => {
          writeFileSync(
            path,
            `-----BEGIN CERTIFICATE-----\n${Buffer.from(text).toString('base64')}\n-----END CERTIFICATE-----\n${text}`,
          );
          const result = await checkDeployedCertificate(path, { serial });
          expect(result.valid).toBe(false);
        },
      ),
      { numRuns: 200 },
    );
  });
});
