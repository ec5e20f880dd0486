import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { createTestCa, type TestCa } from './test-pki.js';

export interface FakeRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  url: URL;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** `:name` segments of the matched route. */
  params: Record<string, string>;
  body: Buffer;
  text(): string;
  /** The body parsed as JSON; throws on invalid JSON (the fake then answers 400). */
  json(): unknown;
  /** The verified client certificate, when `clientCa` is set. */
  clientCertificate?: { subject: string; fingerprint256: string; serialNumber: string };
  /** Numbers the TCP connection the request came on (connection-bound auth such as NTLM). */
  connection?: number;
}

export interface FakeResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string or bytes are sent as is; anything else as JSON. */
  body?: unknown;
}

export type FakeHandler = (request: FakeRequest) => FakeResponse | Promise<FakeResponse>;

/** A recorded request, as the fake saw it. */
export interface RecordedRequest {
  method: string;
  path: string;
  query: string;
  headers: Record<string, string>;
  body: string;
  clientCertificateSubject?: string;
}

export interface StartFakeVendorOptions {
  /** Serve HTTPS with a certificate from a CA generated for this run; default true. */
  tls?: boolean;
  /** PEM of the CA client certificates must chain to: the fake then requires and verifies one (mTLS). */
  clientCa?: string;
  /** `'METHOD /path/:param'` → handler; tried in order. Unmatched requests get 404. */
  routes?: Record<string, FakeHandler>;
  /** Called for every request no route matched, instead of the 404. */
  handler?: FakeHandler;
  /** Sign the server certificate with this CA instead of a fresh one. */
  ca?: TestCa;
}

export interface FakeVendor {
  /** `https://127.0.0.1:<port>` (or http). */
  url: string;
  port: number;
  /** PEM of the CA that signed the server certificate, for the connector to trust (absent without TLS). */
  caPem?: string;
  /** The CA itself, to issue client certificates for mTLS tests. */
  ca?: TestCa;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

interface Route {
  method: string;
  pattern: RegExp;
  names: string[];
  handler: FakeHandler;
}

function compileRoutes(routes: Record<string, FakeHandler>): Route[] {
  return Object.entries(routes).map(([key, handler]) => {
    const [method, path] = key.includes(' ') ? (key.split(/\s+/, 2) as [string, string]) : ['*', key];
    const names: string[] = [];
    const source = path
      .split('/')
      .map((segment) => {
        if (segment.startsWith(':')) {
          names.push(segment.slice(1));
          return '([^/]+)';
        }
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    return { method: method.toUpperCase(), pattern: new RegExp(`^${source}$`), names, handler };
  });
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, response: FakeResponse): void {
  const headers = { ...(response.headers ?? {}) };
  let payload: string | Uint8Array = '';
  if (typeof response.body === 'string' || response.body instanceof Uint8Array) payload = response.body;
  else if (response.body !== undefined) {
    payload = JSON.stringify(response.body);
    if (!Object.keys(headers).some((h) => h.toLowerCase() === 'content-type'))
      headers['content-type'] = 'application/json';
  }
  res.writeHead(response.status ?? 200, headers);
  res.end(payload);
}

/**
 * Starts a vendor fake on 127.0.0.1 (a free port): HTTPS with a per-run CA by default, optional
 * client-certificate verification, simple routing, and a record of every request.
 */
export async function startFakeVendor(options: StartFakeVendorOptions = {}): Promise<FakeVendor> {
  const tls = options.tls ?? true;
  const routes = compileRoutes(options.routes ?? {});
  const requests: RecordedRequest[] = [];
  const ca = tls ? (options.ca ?? (await createTestCa({ commonName: 'certctl fake vendor CA' }))) : undefined;

  const connections = new WeakMap<object, number>();
  let connectionCount = 0;
  const connectionOf = (socket: object) => {
    let id = connections.get(socket);
    if (id === undefined) {
      id = ++connectionCount;
      connections.set(socket, id);
    }
    return id;
  };
  const listener = async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(req);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined) headers[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
      const socket = req.socket as TLSSocket;
      const peer =
        options.clientCa && typeof socket.getPeerCertificate === 'function' ? socket.getPeerCertificate() : undefined;
      const clientCertificate =
        peer && Object.keys(peer).length > 0
          ? {
              subject: Object.entries(peer.subject ?? {})
                .map(([k, v]) => `${k}=${v}`)
                .join(', '),
              fingerprint256: peer.fingerprint256,
              serialNumber: peer.serialNumber.toLowerCase(),
            }
          : undefined;
      requests.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.search,
        headers,
        body: body.toString('utf8'),
        clientCertificateSubject: clientCertificate?.subject,
      });
      const method = (req.method ?? 'GET').toUpperCase();
      let matched: { route: Route; params: Record<string, string> } | undefined;
      for (const route of routes) {
        if (route.method !== '*' && route.method !== method) continue;
        const m = route.pattern.exec(url.pathname);
        if (m) {
          matched = {
            route,
            params: Object.fromEntries(route.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)])),
          };
          break;
        }
      }
      const handler = matched?.route.handler ?? options.handler;
      if (!handler) {
        send(res, { status: 404, body: { error: 'not_found', message: `no route for ${method} ${url.pathname}` } });
        return;
      }
      const request: FakeRequest = {
        method,
        path: url.pathname,
        url,
        headers,
        params: matched?.params ?? {},
        body,
        text: () => body.toString('utf8'),
        json: () => JSON.parse(body.toString('utf8')),
        clientCertificate,
        connection: connectionOf(req.socket),
      };
      let response: FakeResponse;
      try {
        response = await handler(request);
      } catch (error) {
        response =
          error instanceof SyntaxError
            ? { status: 400, body: { error: 'malformed_body', message: error.message } }
            : { status: 500, body: { error: 'fake_failed', message: String(error) } };
      }
      send(res, response);
    } catch (error) {
      if (!res.headersSent) send(res, { status: 500, body: { error: 'fake_failed', message: String(error) } });
    }
  };

  let server: Server;
  if (ca) {
    const leaf = await ca.issue({
      commonName: 'localhost',
      sans: { dns: ['localhost'], ip: ['127.0.0.1'] },
      extKeyUsages: ['serverAuth'],
    });
    server = createHttpsServer(
      {
        key: leaf.privateKeyPem,
        cert: leaf.certificatePem,
        ca: options.clientCa ? [options.clientCa] : undefined,
        requestCert: Boolean(options.clientCa),
        rejectUnauthorized: Boolean(options.clientCa),
      },
      listener,
    );
  } else {
    server = createHttpServer(listener);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  let closed: Promise<void> | undefined;
  return {
    url: `${tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    port,
    caPem: ca?.certificatePem,
    ca,
    requests,
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      return closed;
    },
  };
}
