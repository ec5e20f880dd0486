import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MalformedInputError } from '@certctl/core';
import { call } from '@certctl/server/testing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { certificatesIn, scanDirectories } from '../src/discovery-scan.js';
import { startAgent } from '../src/start-agent.js';
import { agentConfigFor, type ControlPlane, startControlPlane } from './support/control-plane.js';

let plane: ControlPlane;
let tree: string;
const openssl = (args: string[], input?: string) => execFileSync('openssl', args, { encoding: 'utf8', input });

/** A directory tree as hosts have them: PEM, DER, a bundle with its key, bare keys, a nested dir, a symlink loop. */
function makeTree(root: string) {
  const mk = (name: string) => {
    openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-subj',
      `/CN=${name}.example.com`,
      '-keyout',
      join(root, `${name}.key`),
      '-out',
      join(root, `${name}.crt`),
      '-days',
      '30',
    ]);
    return {
      cert: readFileSync(join(root, `${name}.crt`), 'utf8'),
      key: readFileSync(join(root, `${name}.key`), 'utf8'),
    };
  };
  mkdirSync(join(root, 'nested', 'deeper'), { recursive: true });
  const a = mk('a');
  const b = mk('b');
  const c = mk('c');
  writeFileSync(join(root, 'bundle.pem'), `${b.cert}${b.key}${c.cert}`);
  openssl(['x509', '-in', join(root, 'a.crt'), '-outform', 'DER', '-out', join(root, 'nested', 'deeper', 'a.der')]);
  openssl(['pkey', '-in', join(root, 'a.key'), '-outform', 'DER', '-out', join(root, 'nested', 'a-key.der')]);
  writeFileSync(join(root, 'nested', 'notes.txt'), 'not a certificate');
  symlinkSync(root, join(root, 'nested', 'loop'));
  return { a, b, c };
}

beforeAll(async () => {
  plane = await startControlPlane();
  tree = mkdtempSync(join(plane.tmp, 'tree-'));
  makeTree(tree);
});
afterAll(async () => {
  await plane?.stop();
});

describe('discovery scan', () => {
  it('finds PEM, DER and bundled certificates, skips private keys, and does not follow symlinks', async () => {
    const scan = await scanDirectories([tree]);
    const byPath = scan.certificates.map((c) => c.path.slice(tree.length + 1)).sort();
    expect(byPath).toEqual(['a.crt', 'b.crt', 'bundle.pem', 'bundle.pem', 'c.crt', 'nested/deeper/a.der']);
    for (const found of scan.certificates) {
      expect(found.certificatePem).not.toContain('PRIVATE KEY');
      // openssl reads what the agent would send, and agrees on the fingerprint.
      const theirs = openssl(['x509', '-noout', '-fingerprint', '-sha256'], found.certificatePem)
        .split('=')[1]
        ?.trim()
        .replaceAll(':', '')
        .toLowerCase();
      expect(theirs).toBe(found.fingerprintSha256);
    }
    const aFingerprint = openssl(['x509', '-in', join(tree, 'a.crt'), '-noout', '-fingerprint', '-sha256'])
      .split('=')[1]
      ?.trim()
      .replaceAll(':', '')
      .toLowerCase();
    expect(scan.certificates.filter((c) => c.fingerprintSha256 === aFingerprint)).toHaveLength(2);
  });

  it('never yields a key and never throws anything but a typed error on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 600 }),
        fc.constantFrom('', '-----BEGIN PRIVATE KEY-----\n', '-----BEGIN CERTIFICATE-----\n'),
        (bytes, prefix) => {
          const input = new Uint8Array([...Buffer.from(prefix), ...bytes]);
          try {
            for (const der of certificatesIn(input)) expect(der[0]).toBe(0x30);
          } catch (error) {
            expect(MalformedInputError.isInstance(error)).toBe(true);
          }
        },
      ),
    );
    const key = readFileSync(join(tree, 'a.key'));
    expect(certificatesIn(key)).toEqual([]);
    expect(certificatesIn(readFileSync(join(tree, 'nested', 'a-key.der')))).toEqual([]);
  });
});

describe('discovery reports on the server', () => {
  it('stores findings once per fingerprint + agent + path, and offers claim and dismiss that later scans respect', async () => {
    const dir = mkdtempSync(join(plane.tmp, 'agent-'));
    const { agent } = await startAgent(agentConfigFor(plane, join(dir, 'state'), { CERTCTL_DISCOVERY_DIRS: tree }));
    await agent.runOnce(AbortSignal.timeout(20_000));
    const { agent_id, api_key } = JSON.parse(readFileSync(join(dir, 'state', 'identity.json'), 'utf8'));
    const list = async (query = '') =>
      (await call(plane.server.api, 'GET', `/api/v1/discovered-certificates?agent_id=${agent_id}${query}`)).json;
    expect((await list()).total).toBe(6);
    const scanReport = plane.door.recorded.filter((r) => r.url === `/api/v1/agents/${agent_id}/discoveries`);
    expect(scanReport).toHaveLength(1);
    expect(scanReport[0]?.body).not.toContain('PRIVATE KEY');

    await agent.discover(AbortSignal.timeout(20_000));
    expect((await list()).total).toBe(6);
    const scans = (await call(plane.server.api, 'GET', `/api/v1/discovery-scans?agent_id=${agent_id}`)).json;
    expect(scans.total).toBe(2);

    const [first, second] = (await list()).data as { id: string; status: string }[];
    const dismissed = await call(plane.server.api, 'POST', `/api/v1/discovered-certificates/${first?.id}/dismiss`, {
      reason: 'test fixture',
    });
    expect(dismissed.json).toMatchObject({ status: 'dismissed', dismiss_reason: 'test fixture' });
    const cert = await call(plane.server.api, 'POST', '/api/v1/certificates', {
      name: `claimed-${Date.now()}`,
      common_name: 'claimed.example.com',
      owner_id: plane.basics.ownerId,
      team_id: plane.basics.teamId,
      issuer_id: plane.basics.issuerId,
      renewal_policy_id: plane.basics.policyId,
    });
    const claimed = await call(plane.server.api, 'POST', `/api/v1/discovered-certificates/${second?.id}/claim`, {
      managed_certificate_id: cert.json.id,
    });
    expect(claimed.json).toMatchObject({ status: 'managed', managed_certificate_id: cert.json.id });
    expect(
      (
        await call(plane.server.api, 'POST', `/api/v1/discovered-certificates/${second?.id}/claim`, {
          managed_certificate_id: 'mc-missing',
        })
      ).status,
    ).toBe(404);
    expect(
      (await call(plane.server.api, 'POST', `/api/v1/discovered-certificates/${second?.id}/dismiss`, {})).status,
    ).toBe(409);

    await agent.discover(AbortSignal.timeout(20_000));
    expect((await list('&status=dismissed')).total).toBe(1);
    expect((await list('&status=managed')).total).toBe(1);
    expect((await list('&status=unmanaged')).total).toBe(4);
    expect((await call(plane.server.api, 'GET', '/api/v1/discovery-summary')).json).toMatchObject({
      dismissed: 1,
      managed: 1,
    });
    const detail = await call(plane.server.api, 'GET', `/api/v1/discovered-certificates/${first?.id}`);
    expect(String(detail.json.certificate_pem)).toContain('BEGIN CERTIFICATE');

    // A report with a key in it is refused whole; a forged fingerprint is rejected per entry.
    const keyPem = readFileSync(join(tree, 'a.key'), 'utf8');
    const certPem = readFileSync(join(tree, 'a.crt'), 'utf8');
    const refused = await call(
      plane.server.api,
      'POST',
      `/api/v1/agents/${agent_id}/discoveries`,
      { certificates: [{ path: '/x', certificate_pem: `${certPem}${keyPem}` }] },
      api_key,
    );
    expect(refused.status).toBe(400);
    const forged = await call(
      plane.server.api,
      'POST',
      `/api/v1/agents/${agent_id}/discoveries`,
      { certificates: [{ path: '/forged', certificate_pem: certPem, fingerprint_sha256: 'ab'.repeat(32) }] },
      api_key,
    );
    expect(forged.json).toMatchObject({ reported: 0, rejected: [{ path: '/forged' }] });
    expect((await list()).total).toBe(6);
    // One agent cannot report for another.
    expect(
      (await call(plane.server.api, 'POST', '/api/v1/agents/agent-other/discoveries', { certificates: [] }, api_key))
        .status,
    ).toBe(403);
    await agent.close();
  }, 45_000);
});
