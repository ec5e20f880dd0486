import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { ConnectorError } from '@certctl/core';
import { fetch, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpClient } from './http-client.js';
import { createMtlsAgent } from './mtls-agent.js';
import { createSsrfPolicy } from './ssrf-policy.js';

let dir: string;
let server: Server;
let url: string;

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** Issues a client certificate with the given CN from the test CA into `<name>.crt` / `<name>.key`. */
function issueClient(name: string, cn: string): void {
  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    `/CN=${cn}`,
  );
  openssl(
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-out',
    `${name}.crt`,
  );
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'certctl-mtls-'));
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-subj',
    '/CN=certctl test CA',
    '-days',
    '2',
  );
  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
    '-subj',
    '/CN=127.0.0.1',
  );
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1\n');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  );
  issueClient('client-1', 'client-one');
  issueClient('client-2', 'client-two');
  // The files the agent watches start as client-1.
  writeFileSync(join(dir, 'client.crt'), readFileSync(join(dir, 'client-1.crt')));
  writeFileSync(join(dir, 'client.key'), readFileSync(join(dir, 'client-1.key')));

  server = createServer(
    {
      cert: readFileSync(join(dir, 'server.crt')),
      key: readFileSync(join(dir, 'server.key')),
      ca: readFileSync(join(dir, 'ca.crt')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(peer.subject?.CN ?? 'anonymous');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/whoami`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

/** Replaces a file atomically and moves its mtime forward, as a cert-manager style rotation does. */
function rotate(target: string, source: string, secondsAhead: number): void {
  const tmp = `${target}.tmp`;
  writeFileSync(tmp, readFileSync(source));
  const when = new Date(Date.now() + secondsAhead * 1000);
  utimesSync(tmp, when, when);
  renameSync(tmp, target);
}

const agentOptions = () => ({
  certPath: join(dir, 'client.crt'),
  keyPath: join(dir, 'client.key'),
  caPath: join(dir, 'ca.crt'),
  connector: 'issuer-vault',
});

describe('createMtlsAgent', () => {
  it('presents the client certificate and picks up a rotated one on the next request', async () => {
    const agent = createMtlsAgent(agentOptions());
    const first = await request(url, { dispatcher: agent });
    expect(await first.body.text()).toBe('client-one');

    rotate(join(dir, 'client.crt'), join(dir, 'client-2.crt'), 10);
    rotate(join(dir, 'client.key'), join(dir, 'client-2.key'), 10);

    const second = await request(url, { dispatcher: agent });
    expect(await second.body.text()).toBe('client-two');
    // Unchanged files: the same pool keeps serving.
    const third = await request(url, { dispatcher: agent });
    expect(await third.body.text()).toBe('client-two');
    await agent.close();

    rotate(join(dir, 'client.crt'), join(dir, 'client-1.crt'), 20);
    rotate(join(dir, 'client.key'), join(dir, 'client-1.key'), 20);
  });

  it('works as the dispatcher of fetch and of the HTTP client with an SSRF policy', async () => {
    const policy = createSsrfPolicy({ allowLoopback: true });
    const agent = createMtlsAgent({ ...agentOptions(), ssrfPolicy: policy });
    const response = await fetch(url, { dispatcher: agent });
    expect(await response.text()).toBe('client-one');
    const http = createHttpClient({
      connector: 'issuer-vault',
      timeoutMs: 5_000,
      userAgent: 't',
      dispatcher: agent,
      ssrfPolicy: policy,
    });
    expect((await http.request({ method: 'GET', url })).text()).toBe('client-one');
    await agent.close();
  });

  it('fails the request instead of using stale credentials when a file disappears', async () => {
    const options = { ...agentOptions(), keyPath: join(dir, 'vanishing.key') };
    writeFileSync(options.keyPath, readFileSync(join(dir, 'client-1.key')));
    const agent = createMtlsAgent(options);
    expect(await (await request(url, { dispatcher: agent })).body.text()).toBe('client-one');
    rmSync(options.keyPath);
    const error = await request(url, { dispatcher: agent }).catch((e) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect(error.message).toMatch(
      /^\[certctl\] \[issuer-vault\] cannot stat the client credentials: ENOENT .*vanishing\.key/,
    );
    await expect(fetch(url, { dispatcher: agent })).rejects.toThrow();
    await agent.close();
  });

  it('refuses a certificate and key that do not match, naming both files and no key material', async () => {
    const agent = createMtlsAgent({ ...agentOptions(), keyPath: join(dir, 'client-2.key') });
    const error = await request(url, { dispatcher: agent }).catch((e) => e);
    expect(error.message).toContain('do not form a usable pair');
    expect(error.message).not.toContain('PRIVATE KEY');
    await agent.close();
  });

  it('is rejected by the server when it presents no certificate the server trusts', async () => {
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      'rogue.key',
      '-out',
      'rogue.crt',
      '-subj',
      '/CN=rogue',
      '-days',
      '2',
    );
    const agent = createMtlsAgent({
      ...agentOptions(),
      certPath: join(dir, 'rogue.crt'),
      keyPath: join(dir, 'rogue.key'),
    });
    await expect(request(url, { dispatcher: agent })).rejects.toThrow();
    await agent.close();
  });
});
