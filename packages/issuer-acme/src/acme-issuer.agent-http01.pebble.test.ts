import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '@certctl/core';
import { createTestContext, createTestCsr, issueRequestFor, type TestContext } from '@certctl/connector-testkit';
import { parseCertificate } from '@certctl/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acmeConfigSchema } from './acme-config.js';
import { type AcmeIssuer, createAcmeIssuer } from './acme-issuer.js';
import { createHttp01Webroot } from './http01-responder.js';
import { opensslVerify } from './test-support/openssl-verify.js';
import { type PebbleFixture, startPebbleFixture } from './test-support/pebble-fixture.js';

/** A plain web server over a document root, on the port pebble's VA connects to (what nginx is on a target host). */
async function serveWebroot(root: string, port: number): Promise<Server> {
  const server = createServer(async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!/^\/\.well-known\/acme-challenge\/[A-Za-z0-9_-]+$/.test(path)) return res.writeHead(404).end();
    const body = await readFile(join(root, path)).catch(() => undefined);
    if (!body) return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

async function requestFor(names: string[]) {
  const csr = await createTestCsr({ commonName: names[0], sans: { dns: names } });
  return issueRequestFor(csr, { commonName: names[0]!, sans: { dns: names, ip: [], email: [], uri: [] } });
}

describe('HTTP-01 served by the agent (http_served_by: agent) against pebble', () => {
  let fixture: PebbleFixture;
  let issuer: AcmeIssuer;
  let ctx: TestContext;
  let webroot: string;
  let web: Server;
  beforeAll(async () => {
    fixture = await startPebbleFixture();
    ctx = await createTestContext();
    issuer = createAcmeIssuer(parseConfig(acmeConfigSchema, { ...fixture.config, http_served_by: 'agent' }), ctx, {
      backoff: { min: 100, max: 1000 },
    });
    webroot = await mkdtemp(join(tmpdir(), 'acme-agent-webroot-'));
    web = await serveWebroot(webroot, fixture.responderPort);
  }, 30_000);
  afterAll(async () => {
    await new Promise((resolve) => web?.close(resolve));
    await issuer?.stop();
    await ctx?.cleanup();
    await fixture?.stop();
    if (webroot) await rm(webroot, { recursive: true, force: true });
  });

  it('returns the order pending with the tokens to serve, then issues once they are served from a webroot', async () => {
    const pending = await issuer.issue(await requestFor(['agent.example.com', 'www.agent.example.com']));
    if (pending.status !== 'pending') throw new Error('expected a pending order');
    expect(pending.challenges?.map((c) => c.identifier).sort()).toEqual(['agent.example.com', 'www.agent.example.com']);
    for (const challenge of pending.challenges ?? []) {
      expect(challenge.type).toBe('http-01');
      expect(challenge.keyAuthorization.startsWith(`${challenge.token}.`)).toBe(true);
    }
    // The CSR is kept encrypted in the instance's secret store until the order completes, never in the order id.
    expect([...ctx.secretEntries.keys()].some((k) => k.startsWith('acme_order_'))).toBe(true);

    // Asked again before anything is served: the same challenges (the app may have lost them).
    const again = await issuer.getOrder(pending.orderId);
    expect(again.status).toBe('pending');
    expect(again.status === 'pending' && again.challenges?.map((c) => c.token).sort()).toEqual(
      pending.challenges?.map((c) => c.token).sort(),
    );

    // What the agent does on the target host: write the files into the web server's document root.
    const publisher = createHttp01Webroot(webroot);
    for (const c of pending.challenges ?? []) await publisher.publish(c.token, c.keyAuthorization);
    const issued = await issuer.getOrder(pending.orderId, { challengesPresented: true });
    for (const c of pending.challenges ?? []) await publisher.withdraw(c.token);
    if (issued.status !== 'issued') throw new Error(`expected issued, got ${JSON.stringify(issued)}`);
    const leaf = parseCertificate(issued.certificatePem);
    expect(leaf.sans.map((s) => s.value).sort()).toEqual(['agent.example.com', 'www.agent.example.com']);
    const verified = await opensslVerify(
      issued.certificatePem,
      await fixture.pebble.rootPem(),
      issued.chainPem.join(''),
    );
    expect(verified.ok, verified.output).toBe(true);
    expect([...ctx.secretEntries.keys()].some((k) => k.startsWith('acme_order_'))).toBe(false);
  });

  it("fails the order with the CA's reason when the agent reports ready but nothing is served", async () => {
    const pending = await issuer.issue(await requestFor(['unserved.example.com']));
    if (pending.status !== 'pending') throw new Error('expected a pending order');
    const result = await issuer.getOrder(pending.orderId, { challengesPresented: true });
    expect(result.status).toBe('failed');
    expect(result.status === 'failed' && result.reason).toMatch(/http-01 validation of unserved\.example\.com failed/);
  });

  it('refuses agent mode with a challenge type other than http-01', () => {
    expect(() =>
      parseConfig(acmeConfigSchema, {
        ...fixture.config,
        http_served_by: 'agent',
        challenge_type: 'dns-01',
        dns_present_script: fixture.presentScript,
      }),
    ).toThrow(/http_served_by/);
  });
});
