import { defineIssuer, secret } from '@certctl/core';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  checkCapabilityMethods,
  checkConfig,
  checkCrl,
  checkDiscoveredCertificate,
  checkIssuedCertificate,
  checkManifest,
  checkOcspResponse,
  createTestCa,
  createTestContext,
  createTestCsr,
  type Finding,
  issueRequestFor,
} from '../src/index.js';
import exampleIssuer from './fixtures/example-issuer/index.js';

const rules = (findings: Finding[]) => [...new Set(findings.map((f) => f.rule))].sort();

describe('checkManifest', () => {
  it('passes the example issuer', () => {
    expect(checkManifest(exampleIssuer, { kind: 'issuer' })).toEqual([]);
  });

  it('reports a bad id, version, unmarked credential, bad env names and env keys that do not exist', () => {
    const manifest = {
      kind: 'issuer',
      id: 'Bad_ID',
      displayName: 'Broken',
      version: 'latest',
      specificationVersion: 'v1',
      configSchema: z.object({ api_key: z.string(), url: z.string(), nested: z.object({ client_secret: z.string() }) }),
      env: { MY_API_KEY: 'api_key', CERTCTL_BROKEN_URL: 'uri' },
      capabilities: { revoke: true, revok: true, crl: null },
      create: () => ({}),
    };
    const findings = checkManifest(manifest, { kind: 'target' });
    expect(rules(findings)).toEqual([
      'manifest.capabilities',
      'manifest.env',
      'manifest.id',
      'manifest.kind',
      'manifest.secrets',
      'manifest.version',
    ]);
    const text = findings.map((f) => f.message).join('\n');
    expect(text).toContain('"api_key"');
    expect(text).toContain('"nested.client_secret"');
    expect(text).toContain('capabilities.revok');
    expect(text).toContain('capabilities.crl must be true or false');
    expect(text).toContain('MY_API_KEY');
    expect(text).toContain('"uri"');
  });

  it('accepts secret-looking names that are not strings (token_ttl_seconds), name a file or an object (private_key_path, secret_name), and marked secrets', () => {
    const manifest = defineIssuer({
      specificationVersion: 'v1',
      id: 'fine',
      displayName: 'Fine',
      version: '1.2.3',
      configSchema: z.object({
        token_ttl_seconds: z.number(),
        private_key_path: z.string(),
        secret_name: z.string(),
        api_token: secret(z.string()),
        password: secret(z.string()).optional(),
      }),
      create: () => ({ issue: async () => ({ status: 'pending', orderId: 'x' }) }),
    });
    expect(checkManifest(manifest)).toEqual([]);
  });

  it('rejects a non-object and an unknown specification version', () => {
    expect(rules(checkManifest(undefined))).toEqual(['manifest']);
    expect(rules(checkManifest({ ...exampleIssuer, specificationVersion: 'v2' }))).toEqual([
      'manifest.specificationVersion',
    ]);
  });
});

describe('checkCapabilityMethods', () => {
  it('reports a declared capability without its method, and a method its capabilities deny', () => {
    const manifest = {
      kind: 'issuer' as const,
      capabilities: { ...exampleIssuer.capabilities, revoke: true, ocsp: false },
    };
    const findings = checkCapabilityMethods(manifest, {
      issue: async () => {},
      signOcsp: async () => {},
      generateCrl: async () => {},
    });
    expect(findings.map((f) => f.rule)).toContain('capability.revoke');
    expect(findings.find((f) => f.rule === 'capability.revoke')?.message).toBe(
      'capabilities.revoke is true but the instance has no revoke() method',
    );
    expect(findings.find((f) => f.rule === 'capability.ocsp')?.message).toContain(
      'signOcsp() is implemented but capabilities.ocsp is false',
    );
  });

  it('reports a missing required method', () => {
    const findings = checkCapabilityMethods(
      { kind: 'target', capabilities: { dryRun: false, validate: false, remote: false, testConnection: false } },
      { deploy: async () => {} },
    );
    expect(findings).toEqual([
      { rule: 'method.validateDeployment', message: 'every target must implement validateDeployment()' },
    ]);
  });
});

describe('checkConfig', () => {
  const base = { kind: 'issuer' as const, id: 'cfg' };

  it('reports a secret that redactConfig keeps because it is not marked', () => {
    const marked = { ...base, configSchema: z.object({ api_key: secret(z.string()) }) };
    expect(checkConfig(marked, { config: { api_key: 'abcd-secret' } })).toEqual([]);
    // Redaction is driven by the secret() marks, so an unmarked field cannot be caught here, only by checkManifest.
    const unmarked = { ...base, configSchema: z.object({ api_key: z.string() }) };
    expect(rules(checkManifest({ ...exampleIssuer, env: undefined, configSchema: unmarked.configSchema }))).toEqual([
      'manifest.secrets',
    ]);
  });

  it('reports an invalid config that is accepted, and errors naming the wrong path', () => {
    const lax = { ...base, configSchema: z.object({ url: z.string(), retries: z.number().optional() }) };
    const findings = checkConfig(lax, {
      config: { url: 'https://ca.example' },
      invalidConfigs: [
        { config: { url: 'not a url' }, path: 'url', description: 'url is not a URL' },
        { config: { url: 'https://ca.example', retries: 'x' }, path: 'timeout' },
      ],
    });
    expect(findings.map((f) => f.message)).toEqual([
      'url is not a URL: was accepted, expected a ConfigValidationError naming "url"',
      'invalid config at "timeout": the error names "retries", expected "timeout"',
    ]);
  });

  it('reports a suite config that does not parse', () => {
    const strict = { ...base, configSchema: z.object({ url: z.url() }) };
    expect(rules(checkConfig(strict, { config: { url: 'nope' } }))).toEqual(['config.valid']);
  });
});

describe('checkIssuedCertificate', () => {
  it('reports the wrong key, missing SANs, a malformed serial and a validity beyond maxTtl', async () => {
    const ca = await createTestCa();
    const csr = await createTestCsr({
      commonName: 'a.example.test',
      sans: { dns: ['a.example.test', 'b.example.test'] },
    });
    const other = await createTestCsr({ commonName: 'a.example.test' });
    const request = issueRequestFor(csr, { maxTtlSeconds: 86_400 });
    const leaf = await ca.issue({ csrPem: other.csrPem, commonName: 'a.example.test', validitySeconds: 10 * 86_400 });
    const result = {
      status: 'issued',
      certificatePem: leaf.certificatePem,
      chainPem: leaf.chainPem,
      serial: leaf.serial.toUpperCase(),
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
    const findings = checkIssuedCertificate(result, {
      request,
      publicKeySpki: csr.publicKeySpki,
      issuedBy: new Date(),
    });
    expect(rules(findings)).toEqual(['issue.maxTtl', 'issue.publicKey', 'issue.sans', 'issue.serial']);
  });

  it('passes a correct result and reports a chain from another CA', async () => {
    const ca = await createTestCa();
    const otherCa = await createTestCa({ commonName: 'other CA' });
    const csr = await createTestCsr();
    const request = issueRequestFor(csr, { maxTtlSeconds: 30 * 86_400 });
    const leaf = await ca.issue({ csrPem: csr.csrPem, commonName: csr.commonName });
    const result = {
      status: 'issued',
      certificatePem: leaf.certificatePem,
      chainPem: leaf.chainPem,
      serial: leaf.serial,
      notBefore: leaf.notBefore,
      notAfter: leaf.notAfter,
    };
    expect(checkIssuedCertificate(result, { request, publicKeySpki: csr.publicKeySpki, issuedBy: new Date() })).toEqual(
      [],
    );
    const wrongChain = { ...result, chainPem: [otherCa.certificatePem] };
    expect(
      rules(checkIssuedCertificate(wrongChain, { request, publicKeySpki: csr.publicKeySpki, issuedBy: new Date() })),
    ).toEqual(['issue.chain']);
  });
});

describe('checkCrl and checkOcspResponse', () => {
  it('report a CRL or OCSP response not signed by the expected CA, and a CRL missing a serial', async () => {
    const ctx = await createTestContext();
    const issuer = await exampleIssuer.create(
      { api_token: 'conformance-token-1234', ca_common_name: 'A', validity_days: 90, async_orders: false },
      ctx,
    );
    await issuer.start?.();
    const stranger = await createTestCa({ commonName: 'A' });
    const now = new Date();
    const der = await issuer.generateCrl!({
      entries: [{ serial: '0abc', revokedAt: now, reason: 'superseded' }],
      crlNumber: 3n,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 3_600_000),
    });
    const [caPem] = await issuer.caChain!();
    expect(
      await checkCrl(der, { entries: [{ serial: '0abc', reason: 'superseded' }], issuerPem: caPem, crlNumber: 3n }),
    ).toEqual([]);
    expect(rules(await checkCrl(der, { entries: [{ serial: '0abc' }], issuerPem: stranger.certificatePem }))).toEqual([
      'crl.issuer',
      'crl.signature',
    ]);
    expect(rules(await checkCrl(der, { entries: [{ serial: 'beef' }], crlNumber: 4n }))).toEqual([
      'crl.entries',
      'crl.number',
    ]);
    expect(rules(await checkCrl(new Uint8Array([1, 2, 3]), { entries: [] }))).toEqual(['crl.der']);

    const ocsp = await issuer.signOcsp!({
      serial: '0abc',
      status: 'good',
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + 3_600_000),
    });
    expect(await checkOcspResponse(ocsp, { serial: '0abc', status: 'good', issuerPem: caPem })).toEqual([]);
    expect(
      rules(
        await checkOcspResponse(ocsp, {
          serial: '0abc',
          status: 'revoked',
          issuerPem: stranger.certificatePem,
          nonce: Uint8Array.of(1, 2, 3),
        }),
      ),
    ).toEqual(['ocsp.certStatus', 'ocsp.nonce', 'ocsp.signature']);
    await ctx.cleanup();
  });
});

describe('checkDiscoveredCertificate', () => {
  it('reports a missing location, a private key and non-string metadata', async () => {
    const leaf = await (await createTestCa()).issue();
    expect(
      checkDiscoveredCertificate({ certificate: leaf.certificatePem, location: '/etc/ssl/a.pem', metadata: {} }),
    ).toEqual([]);
    const findings = checkDiscoveredCertificate({
      certificate: leaf.privateKeyPem + leaf.certificatePem,
      location: '',
      metadata: { size: 3 },
    });
    expect(rules(findings)).toEqual(['discovery.location', 'discovery.metadata', 'discovery.privateKey']);
  });
});
