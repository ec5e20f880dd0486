import { type IssueRequest, MalformedInputError, parseConfig } from '@certctl/core';
import { parseCertificate, parseCrl } from '@certctl/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import manifest, { createLocalIssuer } from './index.js';
import { type LocalIssuerConfigInput, localConfigSchema } from './local-config.js';
import type { LocalIssuer } from './local-issuer.js';
import { OCSP_RESPONDER_SECRET } from './ocsp-responder.js';
import { ROOT_CA_SECRET } from './root-ca-store.js';
import { openssl, opensslCertificateText, opensslVerify } from './test-support/openssl.js';
import { createLocalTestContext, type LocalTestContext } from './test-support/test-context.js';
import { testCsr } from './test-support/test-csr.js';

const config = (raw: LocalIssuerConfigInput = {}) => parseConfig(localConfigSchema, raw, 'issuer-local');

const request = (csrPem: string, overrides: Partial<IssueRequest> = {}): IssueRequest => ({
  csrPem,
  commonName: 'app.example.com',
  sans: { dns: ['app.example.com', 'www.example.com'], ip: ['192.0.2.10'], email: [], uri: [] },
  extKeyUsages: [],
  mustStaple: false,
  requestId: 'req-1',
  metadata: {},
  ...overrides,
});

describe('local CA, self-signed mode', () => {
  let ctx: LocalTestContext;
  let issuer: LocalIssuer;
  let csr: Awaited<ReturnType<typeof testCsr>>;
  let rootPem: string;

  beforeAll(async () => {
    ctx = createLocalTestContext();
    issuer = createLocalIssuer(config(), ctx);
    csr = await testCsr({
      commonName: 'ignored-by-the-ca.example.net',
      sans: [{ type: 'dns', value: 'csr-only.example.net' }],
    });
    [rootPem] = (await issuer.caChain()) as [string];
  });

  it('declares its capabilities and id', () => {
    expect(manifest.id).toBe('local');
    expect(manifest.kind).toBe('issuer');
    expect(manifest.capabilities).toMatchObject({
      revoke: true,
      crl: true,
      ocsp: true,
      caChain: true,
      testConnection: true,
      asyncOrders: false,
    });
  });

  it('creates a self-signed ECDSA P-256 root with the configured name on first use', () => {
    const root = parseCertificate(rootPem);
    expect(root.selfIssued).toBe(true);
    expect(root.subjectCommonName).toBe('CertCtl Local CA');
    expect(root.publicKey.name).toBe('ecdsa-p256');
    expect(root.basicConstraints).toEqual({ ca: true });
    expect(root.keyUsage).toEqual(expect.arrayContaining(['keyCertSign', 'cRLSign']));
    const years = (root.notAfter.getTime() - root.notBefore.getTime()) / (365 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(ctx.secretEntries.has(ROOT_CA_SECRET)).toBe(true);
  });

  it('issues a certificate that openssl verifies against the root, with names from the request', async () => {
    const issued = await issuer.issue(request(csr.csrPem));
    expect(issued.status).toBe('issued');
    expect(issued.chainPem).toEqual([rootPem]);
    const verify = await opensslVerify({ trusted: rootPem, leaf: issued.certificatePem, purpose: 'sslserver' });
    expect(verify.output).toContain('leaf.pem: OK');
    expect(verify.ok).toBe(true);

    const leaf = parseCertificate(issued.certificatePem);
    expect(leaf.subject).toBe('CN=app.example.com');
    expect(leaf.sans).toEqual([
      { type: 'dns', value: 'app.example.com' },
      { type: 'dns', value: 'www.example.com' },
      { type: 'ip', value: '192.0.2.10' },
    ]);
    expect(leaf.serialNumber).toBe(issued.serial);
    expect(issued.serial.length).toBeGreaterThanOrEqual(16);
    expect(leaf.notBefore).toEqual(issued.notBefore);
    expect(leaf.notAfter).toEqual(issued.notAfter);
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(90 * 86_400_000);
    expect(Buffer.from(leaf.spki).equals(Buffer.from((await import('@certctl/pki')).parseCsr(csr.csrPem).spki))).toBe(
      true,
    );
  });

  it('puts CRL distribution point, OCSP and caIssuers URLs, EKUs and must-staple into the certificate (as openssl reads them)', async () => {
    const issued = await issuer.issue(
      request(csr.csrPem, { extKeyUsages: ['serverAuth', 'clientAuth'], mustStaple: true }),
    );
    const text = await opensslCertificateText(issued.certificatePem);
    expect(text).toContain('X509v3 CRL Distribution Points');
    expect(text).toContain('URI:http://pki.example.test:8080/.well-known/pki/crl/iss-local');
    expect(text).toContain('OCSP - URI:http://pki.example.test:8080/.well-known/pki/ocsp/iss-local');
    expect(text).toContain('CA Issuers - URI:http://pki.example.test:8080/.well-known/pki/ca/iss-local');
    expect(text).toMatch(
      /X509v3 Extended Key Usage:\s*\n\s*TLS Web Server Authentication, TLS Web Client Authentication/,
    );
    expect(text).toMatch(/TLS Feature:\s*\n\s*status_request/);
    expect(text).toMatch(/X509v3 Basic Constraints: critical\s*\n\s*CA:FALSE/);
    expect(text).toMatch(/X509v3 Key Usage: critical\s*\n\s*Digital Signature/);
  });

  it('caps validity at the request max TTL', async () => {
    const issued = await issuer.issue(request(csr.csrPem, { maxTtlSeconds: 3 * 86_400 }));
    expect(issued.notAfter.getTime() - issued.notBefore.getTime()).toBe(3 * 86_400_000);
    const leaf = parseCertificate(issued.certificatePem);
    expect(leaf.notAfter.getTime() - leaf.notBefore.getTime()).toBe(3 * 86_400_000);
  });

  it('issues with random, distinct serials of at least 64 bits', async () => {
    const serials = await Promise.all(
      Array.from({ length: 20 }, () => issuer.issue(request(csr.csrPem)).then((r) => r.serial)),
    );
    expect(new Set(serials).size).toBe(20);
    for (const serial of serials) expect(BigInt(`0x${serial}`) > 2n ** 64n).toBe(true);
  });

  it('certifies RSA keys with keyEncipherment and email certificates with nonRepudiation', async () => {
    const rsa = await testCsr({ algorithm: 'rsa-2048' });
    const tls = parseCertificate((await issuer.issue(request(rsa.csrPem))).certificatePem);
    expect(tls.keyUsage).toEqual(['digitalSignature', 'keyEncipherment']);
    expect(tls.publicKey.type).toBe('rsa');
    const mail = await issuer.issue(
      request(csr.csrPem, {
        commonName: 'Jane Doe',
        sans: { dns: [], ip: [], email: ['jane@example.com'], uri: [] },
        extKeyUsages: ['emailProtection'],
      }),
    );
    const parsed = parseCertificate(mail.certificatePem);
    expect(parsed.keyUsage).toEqual(['digitalSignature', 'nonRepudiation']);
    expect(parsed.extKeyUsage).toEqual(['emailProtection']);
    expect((await opensslVerify({ trusted: rootPem, leaf: mail.certificatePem, purpose: 'smimesign' })).ok).toBe(true);
  });

  it('refuses a CSR whose signature does not verify', async () => {
    const der = Buffer.from(csr.csrDer);
    der[der.length - 3] = der[der.length - 3]! ^ 0x01;
    const forged = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const error = await issuer.issue(request(forged)).catch((e: unknown) => e);
    expect(MalformedInputError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/\[certctl\] \[issuer-local\] the CSR signature does not verify/);
  });

  it('refuses input that is not a CSR', async () => {
    const error = await issuer.issue(request('hello')).catch((e: unknown) => e);
    expect(MalformedInputError.isInstance(error)).toBe(true);
  });

  it('accepts revocations (the platform records them) but not a malformed serial', async () => {
    await expect(issuer.revoke({ serial: '1a2b3c', reason: 'keyCompromise' })).resolves.toBeUndefined();
    await expect(issuer.revoke({ serial: 'not-hex', reason: 'keyCompromise' })).rejects.toThrow(MalformedInputError);
  });

  it('signs a CRL that openssl verifies and that lists the revoked serials', async () => {
    const a = await issuer.issue(request(csr.csrPem));
    const b = await issuer.issue(request(csr.csrPem));
    const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const crl = await issuer.generateCrl({
      entries: [
        { serial: a.serial, revokedAt: thisUpdate, reason: 'keyCompromise' },
        { serial: b.serial, revokedAt: thisUpdate, reason: 'unspecified' },
      ],
      crlNumber: 42n,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + 86_400_000),
    });
    const run = await openssl(['crl', '-inform', 'DER', '-in', 'crl.der', '-CAfile', 'root.pem', '-noout', '-text'], {
      files: { 'crl.der': crl, 'root.pem': rootPem },
    });
    expect(run.stderr + run.stdout).toContain('verify OK');
    expect(run.stdout).toContain(`Serial Number: ${a.serial.toUpperCase()}`);
    expect(run.stdout).toContain(`Serial Number: ${b.serial.toUpperCase()}`);
    expect(run.stdout).toContain('Key Compromise');
    expect(run.stdout).toMatch(/X509v3 CRL Number:\s*\n\s*42/);
    expect(parseCrl(crl).entries.map((e) => e.serial)).toEqual([a.serial, b.serial]);
  });

  it('signs OCSP responses through a delegated responder that openssl accepts', async () => {
    const good = await issuer.issue(request(csr.csrPem));
    const revoked = await issuer.issue(request(csr.csrPem));
    const thisUpdate = new Date(Math.floor(Date.now() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + 3_600_000);
    const goodResponse = await issuer.signOcsp({ serial: good.serial, status: 'good', thisUpdate, nextUpdate });
    const revokedResponse = await issuer.signOcsp({
      serial: revoked.serial,
      status: 'revoked',
      revokedAt: thisUpdate,
      reason: 'caCompromise',
      thisUpdate,
      nextUpdate,
      certIdHashAlgorithm: 'SHA-256',
    });
    const check = (response: Uint8Array, serial: string) =>
      openssl(
        [
          'ocsp',
          '-respin',
          'resp.der',
          '-issuer',
          'root.pem',
          '-CAfile',
          'root.pem',
          '-serial',
          `0x${serial}`,
          '-resp_text',
        ],
        {
          files: { 'resp.der': response, 'root.pem': rootPem },
          check: false,
        },
      );
    const goodRun = await check(goodResponse, good.serial);
    expect(goodRun.stderr).toContain('Response verify OK');
    expect(goodRun.stdout).toContain(`0x${good.serial}: good`);
    expect(goodRun.stdout).toContain('OCSP No Check');
    expect(goodRun.stdout).toContain('OCSP Signing');
    expect(goodRun.stdout).toMatch(/Responder Id: [0-9A-F]{40}/);

    const revokedRun = await openssl(['ocsp', '-respin', 'resp.der', '-CAfile', 'root.pem', '-resp_text'], {
      files: { 'resp.der': revokedResponse, 'root.pem': rootPem },
      check: false,
    });
    expect(revokedRun.stderr).toContain('Response verify OK');
    expect(revokedRun.stdout).toContain('Cert Status: revoked');
    expect(revokedRun.stdout).toContain('Revocation Reason: cACompromise');
    expect(revokedRun.stdout).toContain('Hash Algorithm: sha256');
    expect(ctx.secretEntries.has(OCSP_RESPONDER_SECRET)).toBe(true);
  });

  it('echoes the request nonce in the OCSP response', async () => {
    const issued = await issuer.issue(request(csr.csrPem));
    const now = new Date();
    const nonce = Uint8Array.of(0x04, 0x10, ...Array.from({ length: 16 }, (_, i) => i));
    const response = await issuer.signOcsp({
      serial: issued.serial,
      status: 'good',
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 60_000),
      nonce,
    });
    const run = await openssl(['ocsp', '-respin', 'resp.der', '-CAfile', 'root.pem', '-resp_text'], {
      files: { 'resp.der': response, 'root.pem': rootPem },
      check: false,
    });
    expect(run.stdout).toMatch(/OCSP Nonce:\s*\n\s*0410000102030405060708090A0B0C0D0E0F/);
  });

  it('tests its connection by loading the CA', async () => {
    const result = await issuer.testConnection();
    expect(result.ok).toBe(true);
    expect(result.detail).toContain('self-signed root "CN=CertCtl Local CA"');
  });

  afterAll(() => {
    expect(ctx.logs.filter((l) => l.level === 'error')).toEqual([]);
  });
});

describe('local CA persistence', () => {
  it('a new instance over the same secret store reuses the same CA', async () => {
    const first = createLocalTestContext();
    const before = await createLocalIssuer(config(), first).caChain();
    const second = createLocalTestContext({ secretEntries: first.secretEntries });
    const restarted = createLocalIssuer(config(), second);
    expect(await restarted.caChain()).toEqual(before);
    expect(second.secretWrites).not.toContain(ROOT_CA_SECRET);
    const csr = await testCsr();
    const issued = await restarted.issue(request(csr.csrPem));
    expect((await opensslVerify({ trusted: before[0]!, leaf: issued.certificatePem })).ok).toBe(true);
  });

  it('concurrent first calls create exactly one CA', async () => {
    const ctx = createLocalTestContext();
    const issuer = createLocalIssuer(config(), ctx);
    const csr = await testCsr();
    const results = await Promise.all([
      ...Array.from({ length: 8 }, () => issuer.issue(request(csr.csrPem))),
      issuer.caChain(),
      issuer.testConnection(),
    ]);
    expect(ctx.secretWrites.filter((name) => name === ROOT_CA_SECRET)).toHaveLength(1);
    const [rootPem] = results[8] as string[];
    const issuers = new Set(
      results.slice(0, 8).map((r) => parseCertificate((r as { certificatePem: string }).certificatePem).issuer),
    );
    expect(issuers).toEqual(new Set([parseCertificate(rootPem!).subject]));
  });

  it('keeps the delegated OCSP responder across restarts and replaces it when two thirds of its life are gone', async () => {
    const now = new Date();
    const ctx = createLocalTestContext({ now });
    const issuer = createLocalIssuer(config({ ocsp_responder_validity_days: 3 }), ctx);
    const sign = (instance: LocalIssuer) =>
      instance.signOcsp({
        serial: '01',
        status: 'good',
        thisUpdate: ctx.clock.now(),
        nextUpdate: new Date(ctx.clock.now().getTime() + 60_000),
      });
    await sign(issuer);
    const firstResponder = ctx.secretEntries.get(OCSP_RESPONDER_SECRET);
    expect(firstResponder).toBeDefined();

    const restartedCtx = createLocalTestContext({ secretEntries: ctx.secretEntries, now });
    await sign(createLocalIssuer(config({ ocsp_responder_validity_days: 3 }), restartedCtx));
    expect(restartedCtx.secretWrites).toEqual([]);

    ctx.setNow(new Date(now.getTime() + 1.5 * 86_400_000));
    await sign(issuer);
    expect(ctx.secretEntries.get(OCSP_RESPONDER_SECRET)).toBe(firstResponder);

    ctx.setNow(new Date(now.getTime() + 2.1 * 86_400_000));
    await sign(issuer);
    const rotated = ctx.secretEntries.get(OCSP_RESPONDER_SECRET);
    expect(rotated).not.toBe(firstResponder);
    const responderCert = parseCertificate(JSON.parse(rotated!).certificate_pem);
    expect(responderCert.notBefore.getTime()).toBeGreaterThan(now.getTime() + 2 * 86_400_000);
  });

  it('signs OCSP with the CA key itself when ocsp_responder is "ca"', async () => {
    const ctx = createLocalTestContext();
    const issuer = createLocalIssuer(config({ ocsp_responder: 'ca' }), ctx);
    const [rootPem] = (await issuer.caChain()) as [string];
    const now = new Date();
    const response = await issuer.signOcsp({
      serial: '0abc',
      status: 'good',
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 60_000),
    });
    // The response carries no certificate (the CA is its own signer): the client brings the issuer.
    const run = await openssl(
      ['ocsp', '-respin', 'resp.der', '-CAfile', 'root.pem', '-issuer', 'root.pem', '-resp_text'],
      {
        files: { 'resp.der': response, 'root.pem': rootPem },
        check: false,
      },
    );
    expect(run.stderr).toContain('Response verify OK');
    expect(run.stdout).not.toContain('Certificate:');
    expect(ctx.secretEntries.has(OCSP_RESPONDER_SECRET)).toBe(false);
  });

  it('honours the configured root key algorithm and subject', async () => {
    const ctx = createLocalTestContext();
    const issuer = createLocalIssuer(
      config({
        ca_key_algorithm: 'ecdsa-p384',
        ca_common_name: 'Lab Root',
        ca_organization: 'Example Lab',
        ca_country: 'DE',
        ca_validity_days: 365,
      }),
      ctx,
    );
    const root = parseCertificate(((await issuer.caChain()) as [string])[0]);
    expect(root.subject).toBe('C=DE, O=Example Lab, CN=Lab Root');
    expect(root.publicKey.name).toBe('ecdsa-p384');
    expect(Math.round((root.notAfter.getTime() - root.notBefore.getTime()) / 86_400_000)).toBe(365);
  });

  it('refuses a corrupt stored root instead of replacing it', async () => {
    const ctx = createLocalTestContext({
      secretEntries: new Map([[ROOT_CA_SECRET, '{"format":1,"certificate_pem":"x","private_key_pem":"y"}']]),
    });
    const issuer = createLocalIssuer(config(), ctx);
    await expect(issuer.caChain()).rejects.toThrow(/stored root CA \(secret "root-ca"\) cannot be read/);
    expect(ctx.secretWrites).toEqual([]);
  });

  it('create() validates nothing eagerly, start() loads the CA', async () => {
    const ctx = createLocalTestContext();
    const issuer = await manifest.create(config(), ctx);
    expect(ctx.secretWrites).toEqual([]);
    await issuer.start?.();
    expect(ctx.secretWrites).toEqual([ROOT_CA_SECRET]);
  });
});
