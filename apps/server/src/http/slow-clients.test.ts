import { get as getHttps } from 'node:https';
import { get as getHttp } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, KEYS, startTestServer, type TestServer } from '../testing/test-server.js';

const SLOW_CLIENTS = 5;
const MAX_CONNECTIONS_PER_IP = 8;

interface OpenSocket {
  socket: Socket;
  received: () => string;
  closed: Promise<void>;
  isClosed: () => boolean;
}

/** A raw connection to a listener (TLS on the API one), resolved once it can carry bytes. */
function open(url: string): Promise<OpenSocket> {
  const { hostname, port, protocol } = new URL(url);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let closed = false;
    let resolveClosed: () => void = () => {};
    const closedPromise = new Promise<void>((r) => {
      resolveClosed = r;
    });
    const ready = () =>
      resolve({
        socket,
        received: () => Buffer.concat(chunks).toString('latin1'),
        closed: closedPromise,
        isClosed: () => closed,
      });
    const socket: Socket =
      protocol === 'https:'
        ? connectTls({ host: hostname, port: Number(port), rejectUnauthorized: false }, ready)
        : connectTcp({ host: hostname, port: Number(port) }, ready);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      closed = true;
      resolveClosed();
    });
    socket.once('error', reject);
  });
}

/** A complete GET on a fresh connection: what a well-behaved client gets while slow ones hold theirs. */
function healthStatus(url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const get = url.startsWith('https:') ? getHttps : getHttp;
    get(`${url}/health`, { rejectUnauthorized: false, agent: false }, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    }).on('error', reject);
  });
}

describe('slow clients are cut off on both listeners and do not hold up the others', () => {
  let server: TestServer;
  let listeners: { name: string; url: string; slowRequest: string }[];

  beforeAll(async () => {
    server = await startTestServer({
      database: {},
      listen: true,
      env: {
        CERTCTL_HTTP_REQUEST_TIMEOUT: '1500ms',
        CERTCTL_HTTP_HEADERS_TIMEOUT: '1s',
        CERTCTL_HTTP_MAX_CONNECTIONS_PER_IP: String(MAX_CONNECTIONS_PER_IP),
      },
    });
    const announced = 'Content-Length: 1000\r\n\r\n0123456789';
    listeners = [
      {
        name: 'PKI (plain HTTP, unauthenticated)',
        url: server.urls.pki as string,
        slowRequest: `POST /.well-known/pki/ocsp/any-issuer HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/ocsp-request\r\n${announced}`,
      },
      {
        name: 'API (HTTPS)',
        url: server.urls.api as string,
        slowRequest: `POST /api/v1/certificates HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth(KEYS.admin).authorization}\r\nContent-Type: application/json\r\n${announced}`,
      },
    ];
  });
  afterAll(() => server?.stop());

  it('a request body that stops after 10 of 1,000 announced bytes is answered 408 and its connection closed', async () => {
    for (const listener of listeners) {
      const slow = await Promise.all(Array.from({ length: SLOW_CLIENTS }, () => open(listener.url)));
      for (const client of slow) client.socket.write(listener.slowRequest);
      // Another client is served while the slow ones still hold their connections.
      expect(await healthStatus(listener.url), listener.name).toBe(200);
      expect(
        slow.every((client) => !client.isClosed()),
        listener.name,
      ).toBe(true);
      await Promise.all(slow.map((client) => client.closed));
      for (const client of slow) expect(client.received(), listener.name).toMatch(/^HTTP\/1\.1 408 /);
    }
  });

  it('a connection that never sends its headers is closed', async () => {
    for (const listener of listeners) {
      const silent = await open(listener.url);
      silent.socket.write('GET /health HTTP/1.1\r\nHost: local');
      await silent.closed;
      expect(silent.received(), listener.name).not.toMatch(/ 200 /);
    }
  });

  it('an address holding the maximum number of connections gets its next one closed, and is served again once one closes', async () => {
    for (const listener of listeners) {
      const held = await Promise.all(Array.from({ length: MAX_CONNECTIONS_PER_IP }, () => open(listener.url)));
      // One answered request on each makes sure the server counts every held connection.
      for (const client of held) client.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
      await expect.poll(() => held.every((client) => / 200 /.test(client.received())), { interval: 20 }).toBe(true);
      const refused = await open(listener.url).then(
        async (extra) => {
          extra.socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n');
          await extra.closed;
          return extra.received() === '';
        },
        () => true,
      );
      expect(refused, listener.name).toBe(true);
      for (const client of held) client.socket.destroy();
      await Promise.all(held.map((client) => client.closed));
      await expect.poll(() => healthStatus(listener.url).catch(() => 0), { interval: 20 }).toBe(200);
    }
  });
});
