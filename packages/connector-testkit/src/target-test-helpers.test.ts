import { execFileSync } from 'node:child_process';
import { createServer as createTcpServer } from 'node:net';
import { createServer as createTlsServer, type Server } from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { readServedCertificate, waitForServedSerial } from './served-certificate.js';
import { withTempDir } from './temp-dir.js';
import { createTestDeployRequest } from './test-pki.js';
import { wrapCommand } from './wrapped-command.js';

const servers: { close(): unknown }[] = [];
afterAll(() => {
  for (const server of servers) server.close();
});

function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  servers.push(server);
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
  );
}

describe('readServedCertificate', () => {
  it('reads the serial openssl s_client sees', async () => {
    const request = await createTestDeployRequest({ commonName: 'served.example.test' });
    const port = await listen(createTlsServer({ cert: request.certPem, key: request.keyPem }, (s) => s.end()));
    const served = await readServedCertificate({ port });
    expect(served?.serial).toBe(request.serial);
    expect(await waitForServedSerial(request.serial, { port })).toBe(request.serial);
  });

  it('answers undefined when no handshake completes', async () => {
    const port = await listen(createTcpServer((s) => s.end('not tls\r\n')));
    expect(await readServedCertificate({ port, timeoutMs: 3000 })).toBeUndefined();
  });
});

describe('wrapCommand', () => {
  it('counts runs, runs the real command, and fails exactly once when told', async () => {
    await withTempDir(async (dir) => {
      const wrapped = wrapCommand(dir, 'reload', `/usr/bin/touch ${dir}/touched`);
      const [program, ...args] = wrapped.command.split(' ') as [string, ...string[]];
      execFileSync(program, args);
      expect(wrapped.runs()).toBe(1);
      expect(execFileSync('ls', [dir]).toString()).toContain('touched');
      wrapped.failNext();
      expect(() => execFileSync(program, args, { stdio: 'pipe' })).toThrow(/simulated reload failure/);
      execFileSync(program, args);
      expect(wrapped.runs()).toBe(3);
    });
  });
});
