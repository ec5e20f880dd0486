import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestContext, createTestCsr, issueRequestFor, type TestContext } from '@certctl/connector-testkit';
import {
  ConfigValidationError,
  ConnectorError,
  DeadlineExceededError,
  type Exec,
  MalformedInputError,
  parseConfig,
  UnsupportedOperationError,
} from '@certctl/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { opensslConfigSchema } from './openssl-config.js';
import { createOpensslIssuer } from './openssl-issuer.js';
import { createThrowawayCa, opensslIn, type ThrowawayCa } from './test-support/throwaway-ca.js';

let ca: ThrowawayCa;
let ctx: TestContext;
/** Every program the issuer asked ctx.exec to run. */
const ran: string[] = [];

beforeAll(async () => {
  ca = await createThrowawayCa();
  const base = await createTestContext();
  const exec: Exec = (command, args, options) => {
    ran.push(command);
    return base.exec(command, args, options);
  };
  ctx = { ...base, exec };
}, 180_000);
afterAll(async () => {
  await ctx?.cleanup();
  await ca?.remove();
});

const issuerWith = (overrides: Record<string, unknown> = {}) =>
  createOpensslIssuer(parseConfig(opensslConfigSchema, { ...ca.config, ...overrides }), ctx);

async function write(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(ca.root, name);
  await writeFile(path, content);
  return name;
}

describe('issuer-openssl against a throwaway openssl ca directory', () => {
  it('issues a certificate that openssl verify accepts, with the CSR SANs and notAfter capped by the profile', async () => {
    const csr = await createTestCsr({
      commonName: 'app.example.test',
      sans: { dns: ['app.example.test', 'api.example.test'] },
    });
    const issued = await issuerWith().issue(issueRequestFor(csr, { maxTtlSeconds: 3 * 86_400 }));
    expect(issued.chainPem).toHaveLength(1);
    await write('leaf.pem', issued.certificatePem);
    await write('ca.pem', ca.caPem);
    const verify = await opensslIn(ca.root, ['verify', '-CAfile', 'ca.pem', '-purpose', 'sslserver', 'leaf.pem']);
    expect(verify.out).toContain('leaf.pem: OK');
    const text = await opensslIn(ca.root, ['x509', '-in', 'leaf.pem', '-noout', '-serial', '-ext', 'subjectAltName']);
    expect(text.out).toContain('DNS:api.example.test');
    expect(text.out.toLowerCase()).toContain(`serial=${issued.serial}`);
    const ttl = issued.notAfter.getTime() - Date.now();
    expect(ttl).toBeLessThanOrEqual(3 * 86_400_000);
    expect(ttl).toBeGreaterThan(3 * 86_400_000 - 120_000);
  });

  it('revokes by serial and the DER CRL from crl_script lists it with its reason and the CRL number', async () => {
    const issuer = issuerWith();
    const issued = await issuer.issue(issueRequestFor(await createTestCsr()));
    await issuer.revoke({ serial: issued.serial, reason: 'keyCompromise' });
    const now = new Date();
    const der = await issuer.generateCrl({
      entries: [],
      crlNumber: 4097n,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 86_400_000),
    });
    expect(der[0]).toBe(0x30);
    await write('crl.der', der);
    await write('ca.pem', ca.caPem);
    const crl = await opensslIn(ca.root, [
      'crl',
      '-inform',
      'DER',
      '-in',
      'crl.der',
      '-CAfile',
      'ca.pem',
      '-noout',
      '-text',
    ]);
    expect(crl.code).toBe(0);
    expect(crl.out).toContain('verify OK');
    expect(crl.out).toContain(`Serial Number: ${issued.serial.toUpperCase()}`);
    expect(crl.out).toContain('Key Compromise');
    expect(crl.out).toMatch(/CRL Number: \s*4097/);
  });

  it.each([
    ['12; rm -rf /', 'superseded'],
    ['-config', 'superseded'],
    ['0xZZ', 'superseded'],
    ['', 'superseded'],
    ['0123456789abcdef0123456789abcdef0123456789', 'superseded'],
    ['1a2b', 'because I said so'],
    ['1a2b', '$(id)'],
  ])('refuses serial %j / reason %j before running anything', async (serial, reason) => {
    const before = ran.length;
    const error = await issuerWith()
      .revoke({ serial, reason: reason as never })
      .catch((e: unknown) => e);
    expect(MalformedInputError.isInstance(error), String(error)).toBe(true);
    expect(ran.length).toBe(before);
  });

  it.each([
    ['garbage', () => '-----BEGIN CERTIFICATE REQUEST-----\nTUFMRk9STUVE\n-----END CERTIFICATE REQUEST-----\n'],
    [
      'a forged signature',
      (pem: string) => {
        const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
        der[der.length - 3] = der[der.length - 3]! ^ 0x01;
        return `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
      },
    ],
  ])('refuses a CSR with %s without running the sign script', async (_, corrupt) => {
    const before = ran.length;
    const csr = await createTestCsr();
    const error = await issuerWith()
      .issue(issueRequestFor(csr, { csrPem: corrupt(csr.csrPem) }))
      .catch((e: unknown) => e);
    expect(MalformedInputError.isInstance(error), String(error)).toBe(true);
    expect(ran.length).toBe(before);
  });

  it('kills a script that outlives timeout_seconds and reports a DeadlineExceededError', async () => {
    const slow = await ca.installScript('slow.sh', '#!/bin/sh\ncat > /dev/null\nsleep 30\n');
    const started = Date.now();
    const error = await issuerWith({ sign_script: slow, timeout_seconds: 1 })
      .issue(issueRequestFor(await createTestCsr()))
      .catch((e: unknown) => e);
    expect(DeadlineExceededError.isInstance(error), String(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses a sign script that ignores CERTCTL_NOT_AFTER', async () => {
    const ignoring = await ca.installScript(
      'ignore-cap.sh',
      `#!/bin/sh\nunset CERTCTL_NOT_AFTER\nexec ${ca.config.sign_script}\n`,
    );
    const error = await issuerWith({ sign_script: ignoring })
      .issue(issueRequestFor(await createTestCsr(), { maxTtlSeconds: 86_400 }))
      .catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect(String(error)).toMatch(/past the profile's limit/);
  });

  it('refuses a certificate for another key than the CSR', async () => {
    const other = await createTestCsr({ commonName: 'other.example.test' });
    const wrong = await ca.installScript(
      'wrong-key.sh',
      `#!/bin/sh\ncat > /dev/null\nprintf '%s' '${other.csrPem}' | exec ${ca.config.sign_script}\n`,
    );
    const error = await issuerWith({ sign_script: wrong })
      .issue(issueRequestFor(await createTestCsr()))
      .catch((e: unknown) => e);
    expect(String(error)).toMatch(/another key/);
  });

  it('reports a failing script with its stderr, with secret values redacted', async () => {
    const failing = await ca.installScript(
      'fail.sh',
      '#!/bin/sh\necho "CA locked, passphrase $CA_PASS rejected" >&2\nexit 4\n',
    );
    const error = await issuerWith({ sign_script: failing, script_secret_env: { CA_PASS: 'hunter2-very-secret' } })
      .issue(issueRequestFor(await createTestCsr()))
      .catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect(String(error)).toContain('exited with 4');
    expect(String(error)).toContain('CA locked');
    expect(String(error)).not.toContain('hunter2-very-secret');
  });

  it('passes no environment but PATH and the configured script_env', async () => {
    process.env.CERTCTL_LEAK_CHECK = 'leaked';
    try {
      const env = await ca.installScript('env.sh', '#!/bin/sh\nenv >&2\nexit 9\n');
      const error = await issuerWith({ sign_script: env })
        .issue(issueRequestFor(await createTestCsr()))
        .catch((e: unknown) => e);
      expect(String(error)).toContain(`CERTCTL_OPENSSL_CA_DIR=${ca.caDir}`);
      expect(String(error)).not.toContain('CERTCTL_LEAK_CHECK');
    } finally {
      delete process.env.CERTCTL_LEAK_CHECK;
    }
  });

  it('refuses a script in a directory others can write to, without running it', async () => {
    const dir = join(ca.root, 'shared');
    await mkdir(dir);
    await chmod(dir, 0o777);
    const path = join(dir, 'sign.sh');
    await writeFile(path, '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    const before = ran.length;
    const error = await issuerWith({ sign_script: path })
      .issue(issueRequestFor(await createTestCsr()))
      .catch((e: unknown) => e);
    expect(ConfigValidationError.isInstance(error), String(error)).toBe(true);
    expect(String(error)).toMatch(/writable by group or others/);
    expect(ran.length).toBe(before);
  });

  it('refuses a symlink to a good script when the link sits in a directory others can write to', async () => {
    const dir = join(ca.root, 'shared-links');
    await mkdir(dir);
    await chmod(dir, 0o777);
    const link = join(dir, 'sign.sh');
    await symlink(ca.config.sign_script, link);
    const error = await issuerWith({ sign_script: link })
      .issue(issueRequestFor(await createTestCsr()))
      .catch((e: unknown) => e);
    expect(ConfigValidationError.isInstance(error), String(error)).toBe(true);
    expect(String(error)).toContain(dir);
  });

  it('says which key is missing when revoke or CRL scripts are not configured', async () => {
    const issuer = issuerWith({ revoke_script: undefined, crl_script: undefined });
    const revokeError = await issuer.revoke({ serial: '1a', reason: 'superseded' }).catch((e: unknown) => e);
    expect(UnsupportedOperationError.isInstance(revokeError)).toBe(true);
    expect(String(revokeError)).toContain('revoke_script');
  });
});
