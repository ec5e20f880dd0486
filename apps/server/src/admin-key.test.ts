import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { createRequire } from 'node:module';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createScratchPostgres, type ScratchPostgres } from './testing/postgres-database.js';

const run = promisify(execFile);
const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const cli = fileURLToPath(new URL('./cli.ts', import.meta.url));
const nodeArgs = ['--conditions=@certctl/source', '--import', tsx, cli];

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Runs certctl-server to completion (a failed start, or `admin-key reset`). */
async function runCli(args: string[], env: Record<string, string>) {
  try {
    const { stdout, stderr } = await run(process.execPath, [...nodeArgs, ...args], { env, timeout: 90_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** Starts certctl-server and waits for its banner (the last line is the database or the key's usage). */
async function startCli(env: Record<string, string>): Promise<{ child: ChildProcess; banner: string }> {
  const child = spawn(process.execPath, nodeArgs, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stderr?.on('data', (chunk) => {
    err += chunk;
  });
  const banner = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk) => {
      out += chunk;
      if (out.includes('  TLS:') && /TLS:.*\n/.test(out)) setImmediate(() => resolve(out));
    });
    child.once('exit', (code) => reject(new Error(`server exited (${code}) before its banner:\n${out}\n${err}`)));
  });
  return { child, banner };
}

async function stopCli(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const keyIn = (text: string) => text.match(/^\s+(cc_[A-Za-z0-9_-]+)\s*$/m)?.[1];

function getTeams(port: number, caFile: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/api/v1/teams',
        ca: readFileSync(caFile),
        headers: { authorization: `Bearer ${key}` },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

for (const dialect of ['pglite', 'postgres'] as const) {
  describe(`the first admin key is never lost (${dialect})`, () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'certctl-admin-key-')), 'data');
    let scratch: ScratchPostgres | undefined;
    let env: Record<string, string>;
    let apiPort: number;
    beforeAll(async () => {
      if (dialect === 'postgres') scratch = await createScratchPostgres();
      apiPort = await freePort();
      env = {
        PATH: process.env.PATH ?? '',
        CERTCTL_DATA_DIR: dataDir,
        CERTCTL_SERVER_HOST: '127.0.0.1',
        CERTCTL_SERVER_PORT: String(apiPort),
        CERTCTL_PKI_HTTP_PORT: String(await freePort()),
        CERTCTL_LOG_LEVEL: 'warn',
        ...(scratch && {
          CERTCTL_DATABASE_URL: scratch.url,
          CERTCTL_CONFIG_ENCRYPTION_KEY: 'admin-key-test-passphrase-0123456789',
        }),
      };
    }, 60_000);
    afterAll(async () => {
      rmSync(join(dataDir, '..'), { recursive: true, force: true });
      await scratch?.drop();
    });

    it('a start on a taken port creates nothing; the next start shows a key that works; admin-key reset replaces it', async () => {
      const squatter: Server = createServer();
      await new Promise<void>((resolve) => squatter.listen(apiPort, '127.0.0.1', resolve));
      let failed: Awaited<ReturnType<typeof runCli>>;
      try {
        failed = await runCli([], env);
      } finally {
        await new Promise((resolve) => squatter.close(resolve));
      }
      expect(failed.code).toBe(1);
      expect(failed.stderr).toContain(`port ${apiPort} on 127.0.0.1 is already in use`);
      expect(failed.stderr).toContain('CERTCTL_SERVER_PORT');
      expect(existsSync(dataDir)).toBe(false);

      const first = await startCli(env);
      const bootstrapKey = keyIn(first.banner);
      try {
        expect(first.banner).toContain('First start: an admin API key was created');
        expect(bootstrapKey).toBeDefined();
        expect(await getTeams(apiPort, join(dataDir, 'tls', 'ca.pem'), bootstrapKey!)).toBe(200);
      } finally {
        await stopCli(first.child);
      }

      const reset = await runCli(['admin-key', 'reset'], env);
      expect(reset.code, reset.stderr).toBe(0);
      const newKey = keyIn(reset.stdout);
      expect(newKey).toBeDefined();
      expect(newKey).not.toBe(bootstrapKey);
      expect(reset.stdout).toMatch(/revoked: key-/);

      const second = await startCli(env);
      try {
        expect(keyIn(second.banner)).toBeUndefined();
        const ca = join(dataDir, 'tls', 'ca.pem');
        expect(await getTeams(apiPort, ca, bootstrapKey!)).toBe(401);
        expect(await getTeams(apiPort, ca, newKey!)).toBe(200);
        const audit = await new Promise<string>((resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port: apiPort,
              path: '/api/v1/audit?action=api_key_reset',
              ca: readFileSync(ca),
              headers: { authorization: `Bearer ${newKey}` },
            },
            (res) => {
              let body = '';
              res.on('data', (chunk) => {
                body += chunk;
              });
              res.on('end', () => resolve(body));
            },
          );
          req.on('error', reject);
          req.end();
        });
        expect(JSON.parse(audit).total).toBe(1);
      } finally {
        await stopCli(second.child);
      }
    }, 240_000);
  });
}
