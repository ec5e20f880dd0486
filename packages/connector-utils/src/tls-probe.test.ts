import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createTcpServer, type Server } from 'node:net';
import { getEventListeners } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext, createServer as createTlsServer, TLSSocket } from 'node:tls';
import { ConnectorError } from '@certctl/core';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeTlsCertificate, probeTlsEndpoint, verifyServedCertificate } from './tls-probe.js';

let dir: string;
let cert: string;
let key: string;
const servers: Server[] = [];
const instantClock = { sleep: async () => undefined };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'certctl-tls-probe-'));
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
      '/CN=probe.test',
      '-days',
      '1',
    ],
    { cwd: dir, stdio: 'pipe' },
  );
  cert = readFileSync(join(dir, 'c.pem'), 'utf8');
  key = readFileSync(join(dir, 'k.pem'), 'utf8');
});
afterAll(() => {
  for (const server of servers) server.close();
  rmSync(dir, { recursive: true, force: true });
});

const fingerprint = () => createHash('sha256').update(new X509Certificate(cert).raw).digest('hex');

function listen(server: Server): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

/** A line-protocol server that answers `script` (line in → reply out) then upgrades to TLS when `upgradeAfter` is seen. */
function startTlsServer(greeting: string, replies: Record<string, string>, upgradeOn: string): Promise<number> {
  const context = createSecureContext({ cert, key });
  return listen(
    createTcpServer((socket) => {
      socket.write(greeting);
      let buffer = '';
      const onData = (chunk: Buffer) => {
        buffer += chunk.toString();
        let index = buffer.indexOf('\r\n');
        while (index >= 0) {
          const line = buffer.slice(0, index);
          buffer = buffer.slice(index + 2);
          socket.write(replies[line] ?? '500 unknown\r\n');
          if (line === upgradeOn) {
            socket.off('data', onData);
            new TLSSocket(socket, { isServer: true, secureContext: context }).on('error', () => undefined);
            return;
          }
          index = buffer.indexOf('\r\n');
        }
      };
      socket.on('data', onData);
      socket.on('error', () => undefined);
    }),
  );
}

describe('probeTlsEndpoint', () => {
  it('reports the chain sent, the protocol and cipher, and a stapled OCSP response only when there is one', async () => {
    const chain = `${cert}${cert}`;
    const stapling = createTlsServer({ cert: chain, key }, (s) => s.end());
    stapling.on('OCSPRequest', (_cert, _issuer, done) => done(null, Buffer.from('staple')));
    const seen = await probeTlsEndpoint({ host: '127.0.0.1', port: await listen(stapling) });
    expect(Buffer.from(seen.certificateDer).equals(new X509Certificate(cert).raw)).toBe(true);
    expect(seen.protocol).toBe('TLSv1.3');
    expect(seen.cipher).toMatch(/^TLS_/);
    expect(Buffer.from(seen.ocspResponse ?? []).toString()).toBe('staple');
    const plain = await probeTlsEndpoint({
      host: '127.0.0.1',
      port: await listen(createTlsServer({ cert, key }, (s) => s.end())),
    });
    expect(plain.ocspResponse).toBeUndefined();
    expect(plain.chainDer).toEqual([]);
  });
});

describe('probeTlsCertificate', () => {
  it('reads the certificate of a plain TLS listener', async () => {
    const port = await listen(createTlsServer({ cert, key }, (s) => s.end()));
    const der = await probeTlsCertificate({ host: '127.0.0.1', port });
    expect(Buffer.from(der).equals(new X509Certificate(cert).raw)).toBe(true);
  });

  it('lets go of a long-lived caller signal after each probe (no listener left behind)', async () => {
    const port = await listen(createTlsServer({ cert, key }, (s) => s.end()));
    const longLived = new AbortController().signal;
    for (let i = 0; i < 5; i++) await probeTlsCertificate({ host: '127.0.0.1', port, signal: longLived });
    // A failed probe lets go too.
    await probeTlsCertificate({ host: '127.0.0.1', port: 1, signal: longLived }).catch(() => undefined);
    expect(getEventListeners(longLived, 'abort')).toHaveLength(0);
  });

  it('speaks SMTP STARTTLS, multi-line greeting and EHLO reply included', async () => {
    const port = await startTlsServer(
      '220-mail.test ESMTP\r\n220 ready\r\n',
      {
        'EHLO certctl.invalid': '250-mail.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n',
        STARTTLS: '220 2.0.0 Ready to start TLS\r\n',
      },
      'STARTTLS',
    );
    const der = await probeTlsCertificate({ host: '127.0.0.1', port, starttls: 'smtp' });
    expect(Buffer.from(der).equals(new X509Certificate(cert).raw)).toBe(true);
  });

  it('speaks IMAP STARTTLS', async () => {
    const port = await startTlsServer(
      '* OK [CAPABILITY IMAP4rev1 STARTTLS] ready\r\n',
      { 'c1 STARTTLS': 'c1 OK Begin TLS\r\n' },
      'c1 STARTTLS',
    );
    expect((await probeTlsCertificate({ host: '127.0.0.1', port, starttls: 'imap' })).length).toBeGreaterThan(100);
  });

  it('fails with a ConnectorError when the server refuses STARTTLS', async () => {
    const port = await startTlsServer(
      '220 mail.test ESMTP\r\n',
      { 'EHLO certctl.invalid': '250 mail.test\r\n', STARTTLS: '454 4.7.0 TLS not available\r\n' },
      'never',
    );
    const error = await probeTlsCertificate({ host: '127.0.0.1', port, starttls: 'smtp' }).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/refused STARTTLS: "454/);
  });

  it('gives up at its deadline when the server never answers', async () => {
    const port = await listen(createTcpServer(() => undefined));
    const error = await probeTlsCertificate({ host: '127.0.0.1', port, starttls: 'imap', timeoutMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(/did not finish within 300 ms/);
  });
});

describe('probeTlsCertificate against arbitrary servers', () => {
  it('ends with a ConnectorError, never a hang or a crash, whatever a non-TLS server sends', async () => {
    let reply = Buffer.alloc(0);
    const port = await listen(
      createTcpServer((socket) => {
        socket.on('error', () => undefined);
        socket.end(reply);
      }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc
            .array(fc.constantFrom('220 ok', '220-x', '* OK', '+OK', 'c1 OK', '250 STARTTLS', '454 no', '\r\n', '\n'), {
              maxLength: 8,
            })
            .map((parts) => new TextEncoder().encode(parts.join('\r\n'))),
        ),
        fc.constantFrom('smtp', 'imap', 'pop3', undefined),
        async (bytes, starttls) => {
          reply = Buffer.from(bytes);
          const error = await probeTlsCertificate({ host: '127.0.0.1', port, starttls, timeoutMs: 1500 }).then(
            () => undefined,
            (e: unknown) => e,
          );
          return ConnectorError.isInstance(error);
        },
      ),
      { seed: 3, numRuns: 40 },
    );
  }, 60_000);
});

describe('verifyServedCertificate', () => {
  it('resolves when the fingerprint matches, and names what it saw when it does not', async () => {
    const port = await listen(createTlsServer({ cert, key }, (s) => s.end()));
    await verifyServedCertificate({ host: '127.0.0.1', port, fingerprintSha256: fingerprint(), clock: instantClock });
    const error = await verifyServedCertificate({
      host: '127.0.0.1',
      port,
      fingerprintSha256: 'ab'.repeat(32),
      clock: instantClock,
      withinMs: 400,
    }).catch((e: unknown) => e);
    expect(ConnectorError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain(`presents the certificate with SHA-256 ${fingerprint()}`);
  });
});
