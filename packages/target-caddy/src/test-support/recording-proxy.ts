import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingProxy {
  url: string;
  close(): Promise<void>;
}

/** An HTTP proxy on loopback that reports each request's method and path, then forwards it to `target` unchanged. */
export async function startRecordingProxy(
  target: string,
  record: (method: string, path: string) => void,
): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    record(req.method ?? 'GET', new URL(req.url ?? '/', 'http://proxy').pathname);
    const forwarded = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forwarded.on('error', (error) => res.destroy(error));
    req.pipe(forwarded);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
