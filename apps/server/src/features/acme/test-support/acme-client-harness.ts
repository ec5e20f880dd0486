import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { call } from '../../../testing/api-fixtures.js';
import type { DialectContext } from '../../../testing/each-dialect.js';
import { startTestServer, type TestServer } from '../../../testing/test-server.js';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a client binary with a deadline; never throws, so a test can show what the client printed. */
export function run(
  command: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {},
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      {
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.cwd ?? tmpdir(), ...options.env },
        cwd: options.cwd,
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 8 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        resolve({
          code: error
            ? typeof (error as { code?: unknown }).code === 'number'
              ? (error as { code: number }).code
              : 1
            : 0,
          stdout: String(stdout),
          stderr: String(stderr),
        });
      },
    );
  });
}

export function explain(result: CommandResult): string {
  return `exit ${result.code}\n--- stdout\n${result.stdout.slice(-4000)}\n--- stderr\n${result.stderr.slice(-4000)}`;
}

/** A free loopback TCP port (closed again before it is returned). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface AcmeHarness {
  server: TestServer;
  work: string;
  /** The CA that signs both the server's TLS certificate and ACME-issued certificates. */
  caFile: string;
  directory(profile: string): string;
  newDir(name: string): string;
  opensslVerify(certFile: string, chainFile?: string): Promise<CommandResult>;
  stop(): Promise<void>;
}

/** A listening server with the ACME server on, the local CA as issuer, and the given profiles. */
export async function startAcmeHarness(
  ctx: DialectContext,
  options: { env?: Record<string, string>; profiles: Record<string, unknown>[] },
): Promise<AcmeHarness> {
  const server = await startTestServer({
    database: ctx,
    installed: true,
    listen: true,
    env: { CERTCTL_ACME_SERVER_ENABLED: 'true', ...options.env },
  });
  for (const profile of options.profiles) {
    const created = await call(server.api, 'POST', '/api/v1/profiles', profile);
    if (created.status !== 201) throw new Error(`profile fixture failed: ${created.status} ${created.body}`);
  }
  const work = mkdtempSync(join(tmpdir(), 'certctl-acme-clients-'));
  const caFile = join(work, 'ca.pem');
  writeFileSync(caFile, server.tls.caPem ?? '');
  const issuerChain = (await call(server.api, 'GET', '/api/v1/issuers/iss-local/ca-chain')).body;
  writeFileSync(join(work, 'issuer-ca.pem'), issuerChain);
  return {
    server,
    work,
    caFile,
    directory: (profile) => `${server.urls.api}/acme/profile/${profile}/directory`,
    newDir(name) {
      const dir = join(work, name);
      mkdirSync(dir, { recursive: true });
      return dir;
    },
    opensslVerify: (certFile, chainFile) =>
      run('openssl', [
        'verify',
        '-CAfile',
        join(work, 'issuer-ca.pem'),
        ...(chainFile ? ['-untrusted', chainFile] : []),
        certFile,
      ]),
    async stop() {
      await server.stop();
      rmSync(work, { recursive: true, force: true });
    },
  };
}

export const readText = (file: string) => readFileSync(file, 'utf8');

/** The serial openssl prints, lowercase hex without colons. */
export async function serialOf(certFile: string): Promise<string> {
  const result = await run('openssl', ['x509', '-in', certFile, '-noout', '-serial']);
  return result.stdout
    .trim()
    .replace(/^serial=/, '')
    .toLowerCase()
    .replace(/^(00)+/, '');
}
