import { createServer as createTcpServer } from 'node:net';
import { createServer, type Server } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { createTestDeployRequest, freeLoopbackPort, readServedCertificate, waitForServedSerial } from '../src/index.js';

const servers: Server[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

async function serve(request: Awaited<ReturnType<typeof createTestDeployRequest>>): Promise<Server> {
  const port = await freeLoopbackPort();
  const server = createServer({ cert: `${request.certPem}\n${request.chainPem}`, key: request.keyPem }, (socket) =>
    socket.end(),
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return server;
}

describe('readServedCertificate', () => {
  it('reports the serial, fingerprint and chain length openssl s_client sees', async () => {
    const request = await createTestDeployRequest({ commonName: 'served.example.test' });
    const server = await serve(request);
    const port = (server.address() as { port: number }).port;
    const served = await readServedCertificate({ port, servername: 'served.example.test' });
    expect(served).toEqual({ serial: request.serial, fingerprintSha256: request.fingerprintSha256, chainLength: 2 });
    await expect(waitForServedSerial({ port, serial: request.serial })).resolves.toMatchObject({
      serial: request.serial,
    });
    await expect(waitForServedSerial({ port, serial: '0bad', timeoutMs: 300 })).rejects.toThrow(
      `still serves serial ${request.serial}, not 0bad`,
    );
  });

  it('fails clearly when nothing listens', async () => {
    const port = await freeLoopbackPort();
    await expect(readServedCertificate({ port })).rejects.toThrow(`127.0.0.1:${port} presented no certificate`);
  });

  it('fails clearly when the server does not speak TLS', async () => {
    const plain = createTcpServer((socket) => socket.end('not tls\r\n'));
    const port = await freeLoopbackPort();
    await new Promise<void>((resolve) => plain.listen(port, '127.0.0.1', resolve));
    try {
      await expect(readServedCertificate({ port, timeoutMs: 3000 })).rejects.toThrow('presented no certificate');
    } finally {
      plain.close();
    }
  });
});
