import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TestServer } from '@certctl/server/testing';

export interface RecordedRequest {
  method: string;
  url: string;
  body: string;
  status: number;
}

/**
 * The server's HTTPS front door for agent tests: a real TLS listener (the server's own certificate)
 * that records every request body the agent sends, then hands the request to the real API. It can
 * go down (connection refused: the port is closed) and come back on the same port, or answer 503.
 */
export async function startFrontDoor(api: TestServer['api'], tls: { cert: string; key: string }) {
  const recorded: RecordedRequest[] = [];
  let mode: 'up' | 'unavailable' = 'up';
  /** Top-level body fields answered 400, as a server from before them does (its bodies are strict). */
  let unknownFields: readonly string[] = [];
  const sockets = new Set<Socket>();
  const handler: Parameters<typeof createServer>[1] = async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const entry: RecordedRequest = { method: req.method ?? 'GET', url: req.url ?? '/', body, status: 0 };
    recorded.push(entry);
    if (mode === 'unavailable') {
      entry.status = 503;
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ error: 'unavailable', message: 'maintenance', request_id: 'front-door' }));
      return;
    }
    const refused = body.startsWith('{') ? unknownFields.find((f) => f in JSON.parse(body)) : undefined;
    if (refused) {
      entry.status = 400;
      res.writeHead(400, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          error: 'invalid_request',
          message: `body: Unrecognized key: "${refused}"`,
          request_id: 'front-door',
        }),
      );
      return;
    }
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        ([k]) => !['host', 'connection', 'content-length', 'transfer-encoding'].includes(k),
      ),
    ) as Record<string, string>;
    const response = await api.inject({
      method: entry.method as 'GET',
      url: entry.url,
      headers,
      payload: body || undefined,
    });
    entry.status = response.statusCode;
    res
      .writeHead(response.statusCode, {
        'content-type': String(response.headers['content-type'] ?? 'application/json'),
      })
      .end(response.rawPayload);
  };
  let server: Server = createServer({ cert: tls.cert, key: tls.key }, handler);
  const track = (s: Server) =>
    s.on('secureConnection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  track(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  return {
    url: `https://127.0.0.1:${port}`,
    port,
    recorded,
    /** Refuses connections until `up()`. */
    async down() {
      await close();
    },
    async up() {
      if (server.listening) return;
      server = createServer({ cert: tls.cert, key: tls.key }, handler);
      track(server);
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    },
    setMode(next: 'up' | 'unavailable') {
      mode = next;
    },
    /** Plays a server from before these body fields (empty: the real server again). */
    refuseFields(fields: readonly string[]) {
      unknownFields = fields;
    },
    close,
  };
}
export type FrontDoor = Awaited<ReturnType<typeof startFrontDoor>>;
