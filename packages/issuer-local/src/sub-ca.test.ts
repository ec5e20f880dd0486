import { chmod, copyFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigValidationError, type IssueRequest, parseConfig } from '@certctl/core';
import { createCertificateAuthority, parseCertificate } from '@certctl/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalIssuer } from './index.js';
import { type LocalIssuerConfigInput, localConfigSchema } from './local-config.js';
import { ROOT_CA_SECRET } from './root-ca-store.js';
import { createOpensslHierarchy, type OpensslHierarchy } from './test-support/openssl-hierarchy.js';
import { openssl, opensslVerify } from './test-support/openssl.js';
import { createLocalTestContext } from './test-support/test-context.js';
import { testCsr } from './test-support/test-csr.js';

const config = (raw: LocalIssuerConfigInput) => parseConfig(localConfigSchema, raw, 'issuer-local');

const request = (csrPem: string, overrides: Partial<IssueRequest> = {}): IssueRequest => ({
  csrPem,
  commonName: 'intranet.example.com',
  sans: { dns: ['intranet.example.com'], ip: [], email: [], uri: [] },
  extKeyUsages: ['serverAuth'],
  mustStaple: false,
  requestId: 'req-sub',
  metadata: {},
  ...overrides,
});

async function configError(raw: LocalIssuerConfigInput): Promise<ConfigValidationError> {
  const ctx = createLocalTestContext();
  const error = await createLocalIssuer(config(raw), ctx)
    .caChain()
    .catch((e: unknown) => e);
  expect(ConfigValidationError.isInstance(error), String(error)).toBe(true);
  return error as ConfigValidationError;
}

describe('local CA, sub-CA mode (hierarchy made by openssl, RSA intermediate)', () => {
  let pki: OpensslHierarchy;

  beforeAll(async () => {
    pki = await createOpensslHierarchy();
  });
  afterAll(async () => {
    await pki?.remove();
  });

  it('issues certificates that chain to the enterprise root', async () => {
    const ctx = createLocalTestContext();
    const issuer = createLocalIssuer(
      config({ ca_cert_path: pki.intermediateCertPath, ca_key_path: pki.intermediateKeyPath }),
      ctx,
    );
    const csr = await testCsr();
    const issued = await issuer.issue(request(csr.csrPem));
    expect(issued.chainPem.map((pem) => parseCertificate(pem).subject)).toEqual([
      'O=Example Corp, CN=certctl Issuing CA',
    ]);
    const verify = await opensslVerify({
      trusted: pki.rootPem,
      untrusted: issued.chainPem.join(''),
      leaf: issued.certificatePem,
      purpose: 'sslserver',
    });
    expect(verify.output).toContain('leaf.pem: OK');
    expect(parseCertificate(issued.certificatePem).signatureAlgorithm).toBe('sha256WithRSAEncryption');
    expect(ctx.secretWrites).not.toContain(ROOT_CA_SECRET);
  });

  it('hands out the parents from ca_chain_path with every certificate and from caChain()', async () => {
    const issuer = createLocalIssuer(
      config({
        ca_cert_path: pki.intermediateCertPath,
        ca_key_path: pki.intermediateKeyPath,
        ca_chain_path: pki.chainPath,
      }),
      createLocalTestContext(),
    );
    const chain = await issuer.caChain();
    expect(chain.map((pem) => parseCertificate(pem).subjectCommonName)).toEqual([
      'certctl Issuing CA',
      'Example Enterprise Root',
    ]);
    const issued = await issuer.issue(request((await testCsr()).csrPem));
    expect(issued.chainPem).toEqual(chain);
    expect((await issuer.testConnection()).detail).toContain('sub-CA "O=Example Corp, CN=certctl Issuing CA"');
  });

  it('never issues past the sub-CA certificate expiry', async () => {
    const issuer = createLocalIssuer(
      config({ ca_cert_path: pki.intermediateCertPath, ca_key_path: pki.intermediateKeyPath, validity_days: 3650 }),
      createLocalTestContext(),
    );
    const issued = await issuer.issue(request((await testCsr()).csrPem));
    const intermediate = parseCertificate(pki.intermediatePem);
    expect(issued.notAfter.getTime()).toBe(Math.floor(intermediate.notAfter.getTime() / 1000) * 1000);
  });

  it('signs CRLs and OCSP responses under the sub-CA that openssl verifies up to the root', async () => {
    const issuer = createLocalIssuer(
      config({ ca_cert_path: pki.intermediateCertPath, ca_key_path: pki.intermediateKeyPath }),
      createLocalTestContext(),
    );
    const issued = await issuer.issue(request((await testCsr()).csrPem));
    const now = new Date(Math.floor(Date.now() / 1000) * 1000);
    const crl = await issuer.generateCrl({
      entries: [{ serial: issued.serial, revokedAt: now, reason: 'superseded' }],
      crlNumber: 1n,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 86_400_000),
    });
    const crlRun = await openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'int.pem', '-noout', '-text'], {
      files: { 'crl.der': crl, 'int.pem': pki.intermediatePem },
    });
    expect(crlRun.stderr + crlRun.stdout).toContain('verify OK');
    expect(crlRun.stdout).toContain(`Serial Number: ${issued.serial.toUpperCase()}`);
    expect(crlRun.stdout).toContain('Superseded');

    const response = await issuer.signOcsp({
      serial: issued.serial,
      status: 'revoked',
      revokedAt: now,
      reason: 'superseded',
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 3_600_000),
    });
    const ocspRun = await openssl(
      [
        'ocsp',
        '-respin',
        'resp.der',
        '-issuer',
        'int.pem',
        '-CAfile',
        'root.pem',
        '-verify_other',
        'int.pem',
        '-serial',
        `0x${issued.serial}`,
        '-resp_text',
      ],
      { files: { 'resp.der': response, 'int.pem': pki.intermediatePem, 'root.pem': pki.rootPem }, check: false },
    );
    expect(ocspRun.stderr).toContain('Response verify OK');
    expect(ocspRun.stdout).toContain(`0x${issued.serial}: revoked`);
  });

  it('reads an encrypted PKCS#8 key with ca_key_passphrase and keeps the passphrase out of errors', async () => {
    const issuer = createLocalIssuer(
      config({
        ca_cert_path: pki.intermediateCertPath,
        ca_key_path: pki.encryptedKeyPath,
        ca_key_passphrase: pki.passphrase,
      }),
      createLocalTestContext(),
    );
    const issued = await issuer.issue(request((await testCsr()).csrPem));
    expect(
      (await opensslVerify({ trusted: pki.rootPem, untrusted: pki.intermediatePem, leaf: issued.certificatePem })).ok,
    ).toBe(true);

    const wrong = await configError({
      ca_cert_path: pki.intermediateCertPath,
      ca_key_path: pki.encryptedKeyPath,
      ca_key_passphrase: 'wrong passphrase',
    });
    expect(wrong.issues[0]?.path).toBe('ca_key_path');
    expect(wrong.message).not.toContain('wrong passphrase');
    const missing = await configError({ ca_cert_path: pki.intermediateCertPath, ca_key_path: pki.encryptedKeyPath });
    expect(missing.message).toContain('needs ca_key_passphrase');
  });

  it('refuses a key file readable by group or others (0644)', async () => {
    const loose = join(pki.dir, 'loose-key.pem');
    await copyFile(pki.intermediateKeyPath, loose);
    await chmod(loose, 0o644);
    const error = await configError({ ca_cert_path: pki.intermediateCertPath, ca_key_path: loose });
    expect(error.issues).toEqual([{ path: 'ca_key_path', message: expect.stringContaining('has mode 0644') }]);
    expect(error.message).toContain(`chmod 600 ${loose}`);
    expect(error.message).toMatch(/^\[certctl\] \[issuer-local\] ca_key_path:/);
    await chmod(loose, 0o640);
    await configError({ ca_cert_path: pki.intermediateCertPath, ca_key_path: loose });
  });

  it('refuses a key that does not belong to the certificate', async () => {
    const error = await configError({ ca_cert_path: pki.intermediateCertPath, ca_key_path: pki.leafKeyPath });
    expect(error.message).toContain('does not belong to the certificate');
  });

  it('refuses a certificate that is not a CA', async () => {
    const error = await configError({ ca_cert_path: pki.leafCertPath, ca_key_path: pki.leafKeyPath });
    expect(error.issues[0]?.path).toBe('ca_cert_path');
    expect(error.message).toContain('is not a CA certificate');
  });

  it('refuses a chain whose first certificate did not issue the sub-CA', async () => {
    const error = await configError({
      ca_cert_path: pki.intermediateCertPath,
      ca_key_path: pki.intermediateKeyPath,
      ca_chain_path: pki.intermediateCertPath,
    });
    expect(error.issues[0]?.path).toBe('ca_chain_path');
  });

  it('accepts the chain file in any order but refuses certificates that are not parents of the sub-CA', async () => {
    const stranger = await createCertificateAuthority({ subject: 'CN=Unrelated Root' });
    const mixed = join(pki.dir, 'mixed-chain.pem');
    await writeFile(mixed, `${stranger.certificate.pem}${pki.rootPem}`);
    const error = await configError({
      ca_cert_path: pki.intermediateCertPath,
      ca_key_path: pki.intermediateKeyPath,
      ca_chain_path: mixed,
    });
    expect(error.issues[0]).toEqual({
      path: 'ca_chain_path',
      message: expect.stringContaining('"CN=Unrelated Root" is not part of the chain'),
    });
  });

  it('names the missing file', async () => {
    const error = await configError({
      ca_cert_path: join(pki.dir, 'absent.pem'),
      ca_key_path: pki.intermediateKeyPath,
    });
    expect(error.message).toContain('absent.pem (ENOENT)');
  });
});

describe('local CA, sub-CA mode with an ECDSA intermediate', () => {
  it('issues through the template path and openssl verifies the chain', async () => {
    const pki = await createOpensslHierarchy({ intermediateKey: 'ec' });
    try {
      const issuer = createLocalIssuer(
        config({ ca_cert_path: pki.intermediateCertPath, ca_key_path: pki.intermediateKeyPath }),
        createLocalTestContext(),
      );
      const issued = await issuer.issue(request((await testCsr({ algorithm: 'rsa-2048' })).csrPem));
      expect(parseCertificate(issued.certificatePem).signatureAlgorithm).toBe('ecdsa-with-SHA256');
      expect(
        (await opensslVerify({ trusted: pki.rootPem, untrusted: pki.intermediatePem, leaf: issued.certificatePem })).ok,
      ).toBe(true);
    } finally {
      await pki.remove();
    }
  });
});
