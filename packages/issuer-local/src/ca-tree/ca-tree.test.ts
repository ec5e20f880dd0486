import { type IssueRequest, MalformedInputError, parseConfig, UnsupportedOperationError } from '@certctl/core';
import { generateKeyPair, parseCertificate, signCertificate, validatePath } from '@certctl/pki';
import { beforeAll, describe, expect, it } from 'vitest';
import { localConfigSchema } from '../local-config.js';
import { createLocalIssuer, type LocalIssuer } from '../local-issuer.js';
import { opensslCertificateText, opensslVerify } from '../test-support/openssl.js';
import { createLocalTestContext, type LocalTestContext } from '../test-support/test-context.js';
import { testCsr } from '../test-support/test-csr.js';
import { caKeySecret, CA_TREE_SECRET } from './stored-tree.js';

const treeConfig = parseConfig(
  localConfigSchema,
  { hierarchy_mode: 'tree', ca_common_name: 'Tree Root' },
  'issuer-local',
);

const request = (csrPem: string, dns: string[]): IssueRequest => ({
  csrPem,
  commonName: dns[0] ?? 'x',
  sans: { dns, ip: [], email: [], uri: [] },
  extKeyUsages: [],
  mustStaple: false,
  requestId: `req-${dns[0]}`,
  metadata: {},
});

describe('local CA, tree mode', () => {
  let ctx: LocalTestContext;
  let issuer: LocalIssuer;
  let csrPem: string;
  let rootPem: string;

  beforeAll(async () => {
    ctx = createLocalTestContext();
    issuer = createLocalIssuer(treeConfig, ctx);
    csrPem = (await testCsr({ commonName: 'svc.corp.example' })).csrPem;
    // root → policy (pathLen 1, permitted corp.example, excluded secret.corp.example) → issuing (pathLen 0)
    const cas = await issuer.listCas();
    rootPem = cas[0]!.certificatePem;
    await issuer.createCa({
      name: 'policy',
      commonName: 'Tree Policy CA',
      validityDays: 1825,
      pathLength: 1,
      nameConstraints: { permittedDns: ['corp.example'], excludedDns: ['secret.corp.example'] },
    });
    await issuer.createCa({
      parentId: 'policy',
      name: 'issuing-1',
      commonName: 'Tree Issuing CA 1',
      validityDays: 365,
      issuing: true,
    });
  });

  it('lists the tree top first with parents, states and the issuing CA', async () => {
    const cas = await issuer.listCas();
    expect(cas.map((c) => [c.id, c.parentId, c.state, c.issuing])).toEqual([
      ['root', null, 'active', false],
      ['policy', 'root', 'active', false],
      ['issuing-1', 'policy', 'active', true],
    ]);
    const issuing = cas[2]!;
    expect(issuing.pathLength).toBe(0);
    expect(cas[1]!.nameConstraints).toEqual({ permittedDns: ['corp.example'], excludedDns: ['secret.corp.example'] });
    expect(issuing.notAfter.getTime()).toBeLessThanOrEqual(cas[1]!.notAfter.getTime());
  });

  it('writes the constraints openssl reads: critical nameConstraints and pathlen', async () => {
    const policy = (await issuer.listCas())[1]!;
    const text = await opensslCertificateText(policy.certificatePem);
    expect(text).toMatch(/X509v3 Name Constraints: critical/);
    expect(text).toMatch(/Permitted:\s+DNS:corp\.example/);
    expect(text).toMatch(/Excluded:\s+DNS:secret\.corp\.example/);
    expect(text).toMatch(/CA:TRUE, pathlen:1/);
  });

  it('issues leaves from the issuing CA with the chain built by walking parents, accepted by openssl and by our path validation', async () => {
    const leaf = await issuer.issue(request(csrPem, ['svc.corp.example']));
    const chain = leaf.chainPem.map((pem) => parseCertificate(pem).subjectCommonName);
    expect(chain).toEqual(['Tree Issuing CA 1', 'Tree Policy CA', 'Tree Root']);
    expect(parseCertificate(leaf.certificatePem).issuerCommonName).toBe('Tree Issuing CA 1');
    const verified = await opensslVerify({
      trusted: rootPem,
      untrusted: leaf.chainPem.slice(0, 2).join(''),
      leaf: leaf.certificatePem,
    });
    expect(verified.output).toContain('OK');
    expect(verified.ok).toBe(true);
    const ours = await validatePath({
      leaf: leaf.certificatePem,
      intermediates: leaf.chainPem.slice(0, 2),
      trustAnchors: [rootPem],
    });
    expect(ours.valid).toBe(true);
    expect(await issuer.caChain()).toEqual(leaf.chainPem);
  });

  it('refuses a leaf whose names fall outside the name constraints of its chain, before signing', async () => {
    await expect(issuer.issue(request(csrPem, ['svc.other.example']))).rejects.toSatisfy(
      (e) => MalformedInputError.isInstance(e) && /outside the name constraints of .*Tree Policy CA/.test(e.message),
    );
    await expect(issuer.issue(request(csrPem, ['db.secret.corp.example']))).rejects.toThrow(
      /db\.secret\.corp\.example/,
    );
  });

  it('a leaf that violates the constraints anyway (signed behind our back) is rejected by openssl and by validatePath', async () => {
    const cas = await issuer.listCas();
    const issuingKeyPem = ctx.secretEntries.get(caKeySecret('issuing-1'))!;
    const { importPrivateKey } = await import('@certctl/pki');
    const keys = await generateKeyPair({ algorithm: 'ecdsa-p256' });
    const rogue = await signCertificate({
      subject: [['CN', 'evil.attacker.example']],
      sans: [{ type: 'dns', value: 'evil.attacker.example' }],
      publicKey: keys.publicKey,
      issuer: { certificate: cas[2]!.certificatePem, privateKey: await importPrivateKey(issuingKeyPem) },
      validitySeconds: 86_400,
    });
    const untrusted = cas[2]!.certificatePem + cas[1]!.certificatePem;
    const verified = await opensslVerify({ trusted: rootPem, untrusted, leaf: rogue.pem });
    expect(verified.ok).toBe(false);
    expect(verified.output).toMatch(/permitted subtree violation/);
    const ours = await validatePath({
      leaf: rogue.pem,
      intermediates: [cas[2]!.certificatePem, cas[1]!.certificatePem],
      trustAnchors: [rootPem],
    });
    expect(ours.valid).toBe(false);
    if (!ours.valid) expect(ours.reason).toBe('name-constraints-violated');
  });

  it('enforces path length: no CA below a pathLen 0 CA, nor deeper than an ancestor allows', async () => {
    await expect(
      issuer.createCa({ parentId: 'issuing-1', name: 'too-deep', commonName: 'x', validityDays: 30 }),
    ).rejects.toThrow(/pathLenConstraint 0/);
    await expect(
      issuer.createCa({ parentId: 'policy', name: 'greedy', commonName: 'x', validityDays: 30, pathLength: 3 }),
    ).rejects.toThrow(/exceeds what the CAs above allow \(0\)/);
    expect((await issuer.listCas()).map((c) => c.id)).not.toContain('too-deep');
  });

  it('rejects bad requests and changes nothing', async () => {
    const before = ctx.secretEntries.get(CA_TREE_SECRET);
    await expect(issuer.createCa({ name: 'Bad Name', commonName: 'x', validityDays: 30 })).rejects.toSatisfy(
      MalformedInputError.isInstance,
    );
    await expect(issuer.createCa({ name: 'policy', commonName: 'x', validityDays: 30 })).rejects.toThrow(
      /already exists/,
    );
    await expect(
      issuer.createCa({
        name: 'bad-ip',
        commonName: 'x',
        validityDays: 30,
        nameConstraints: { permittedIp: ['10.0.0.0/40'] },
      }),
    ).rejects.toThrow(/CIDR/);
    await expect(
      issuer.createCa({ parentId: 'nope', name: 'orphan', commonName: 'x', validityDays: 30 }),
    ).rejects.toThrow(/no CA "nope"/);
    expect(ctx.secretEntries.get(CA_TREE_SECRET)).toBe(before);
  });

  it('retires with a drain: refuses the issuing CA, stops new children, keeps old leaves valid, then destroys the key', async () => {
    await issuer.createCa({
      parentId: 'policy',
      name: 'issuing-2',
      commonName: 'Tree Issuing CA 2',
      validityDays: 365,
    });
    const oldLeaf = await issuer.issue(request(csrPem, ['old.corp.example']));
    await expect(issuer.retireCa({ id: 'issuing-1', state: 'retiring' })).rejects.toThrow(
      /make another CA issuing first/,
    );
    await expect(issuer.retireCa({ id: 'issuing-1', state: 'retired' })).rejects.toThrow(/must be retiring/);
    await expect(issuer.retireCa({ id: 'policy', state: 'retiring' })).rejects.toThrow(/active child CAs/);
    await issuer.setIssuingCa('issuing-2');
    const retiring = await issuer.retireCa({ id: 'issuing-1', state: 'retiring' });
    expect(retiring).toMatchObject({ id: 'issuing-1', state: 'retiring', issuing: false });
    await expect(issuer.setIssuingCa('issuing-1')).rejects.toThrow(/retiring/);
    const newLeaf = await issuer.issue(request(csrPem, ['new.corp.example']));
    expect(parseCertificate(newLeaf.certificatePem).issuerCommonName).toBe('Tree Issuing CA 2');
    // Draining: the old leaf still verifies.
    expect(
      (
        await opensslVerify({
          trusted: rootPem,
          untrusted: oldLeaf.chainPem.slice(0, 2).join(''),
          leaf: oldLeaf.certificatePem,
        })
      ).ok,
    ).toBe(true);
    const retired = await issuer.retireCa({ id: 'issuing-1', state: 'retired' });
    expect(retired.state).toBe('retired');
    expect(ctx.secretEntries.has(caKeySecret('issuing-1'))).toBe(false);
    expect(ctx.secretEntries.has(caKeySecret('issuing-2'))).toBe(true);
  });

  it('a new instance over the same secret store restores the tree and the issuing CA', async () => {
    const again = createLocalIssuer(treeConfig, createLocalTestContext({ secretEntries: ctx.secretEntries }));
    expect((await again.listCas()).map((c) => `${c.id}:${c.state}${c.issuing ? '*' : ''}`)).toEqual([
      'root:active',
      'policy:active',
      'issuing-1:retired',
      'issuing-2:active*',
    ]);
    const leaf = await again.issue(request(csrPem, ['restart.corp.example']));
    expect(parseCertificate(leaf.certificatePem).issuerCommonName).toBe('Tree Issuing CA 2');
  });
});

describe('local CA, single mode', () => {
  it('has no hierarchy to manage', async () => {
    const issuer = createLocalIssuer(parseConfig(localConfigSchema, {}, 'issuer-local'), createLocalTestContext());
    await expect(issuer.listCas()).rejects.toSatisfy(
      (e) => UnsupportedOperationError.isInstance(e) && /hierarchy_mode: tree/.test(e.message),
    );
  });
});
