import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { FaultPoint } from '../shared/fault-points.js';
import { KEYS } from './test-server.js';

const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const childScript = fileURLToPath(new URL('./fault-server.child.ts', import.meta.url));

export interface FaultServerOptions {
  /** The ledger CA's directory (shared by every process of one test). */
  ledgerDir: string;
  /** CERTCTL_* settings: the database (CERTCTL_DATA_DIR or CERTCTL_DATABASE_URL) and any others. */
  env: Record<string, string>;
  /** The file that arms crash points (see armFaultPoints); none armed when it does not exist. */
  pointsFile?: string;
  replicaId?: string;
  /** The child server's log level; default silent. */
  logLevel?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
}

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json: Record<string, unknown> & { data?: Record<string, unknown>[] };
}

export interface FaultServer {
  process: ChildProcess;
  api: string;
  pki: string;
  /** Resolves with the subject once the process reached `point` (every arrival is kept). */
  reached(point: FaultPoint, count?: number): Promise<string[]>;
  /** An API call with the admin key; network failures reject. */
  call(method: string, path: string, body?: unknown): Promise<HttpAnswer>;
  /** A GET on the plain-HTTP PKI listener. */
  pkiGet(path: string): Promise<{ status: number; body: Buffer }>;
  kill9(): Promise<void>;
  stop(): Promise<void>;
}

/** Sends one HTTP(S) request; the server's bootstrap certificate is self-signed, so it is not verified here. */
export function httpCall(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = { authorization: `Bearer ${KEYS.admin}` },
): Promise<{ status: number; headers: HttpAnswer['headers']; raw: Buffer }> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method,
        rejectUnauthorized: false,
        headers: { ...headers, ...(payload !== undefined && { 'content-type': 'application/json' }) },
        timeout: 30_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: Buffer.concat(chunks) }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${url} timed out`)));
    req.on('error', reject);
    req.end(payload);
  });
}

/**
 * Arms crash points for the servers reading `pointsFile`, from their next arrival at one: `point`
 * stops all work there, `point@prefix` only work whose subject starts with prefix.
 */
export function armFaultPoints(pointsFile: string, points: readonly (FaultPoint | `${FaultPoint}@${string}`)[]): void {
  writeFileSync(pointsFile, points.map((p) => `${p}\n`).join(''));
}

/** Starts the server of fault-server.child.ts and waits until it listens. */
export async function startFaultServer(options: FaultServerOptions): Promise<FaultServer> {
  // The child inherits this process's environment (PATH for openssl and friends) but reads its
  // configuration only from this argument.
  const settings = {
    ledgerDir: options.ledgerDir,
    ...(options.pointsFile && { pointsFile: options.pointsFile }),
    ...(options.replicaId && { replicaId: options.replicaId }),
    env: {
      CERTCTL_SERVER_HOST: '127.0.0.1',
      CERTCTL_SERVER_PORT: '0',
      CERTCTL_PKI_HTTP_PORT: '0',
      CERTCTL_API_KEYS_NAMED: `admin:${KEYS.admin}:admin`,
      CERTCTL_CONFIG_ENCRYPTION_KEY: 'test-encryption-passphrase-0123456789',
      // logLevel 'warn' (or 'info') shows the child server's log while debugging a fault test.
      CERTCTL_LOG_LEVEL: options.logLevel ?? 'silent',
      CERTCTL_NETWORK_ALLOW: '127.0.0.1',
      CERTCTL_RATE_LIMIT_ENABLED: 'false',
      ...options.env,
    },
  };
  const child = spawn(
    process.execPath,
    ['--conditions=@certctl/source', '--import', tsx, childScript, JSON.stringify(settings)],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const arrivals: { point: string; subject: string }[] = [];
  const waiters = new Set<() => void>();
  let exited = false;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', () => {
      exited = true;
      for (const wake of waiters) wake();
      resolve();
    }),
  );
  let ready: ((urls: [string, string]) => void) | undefined;
  const readyLine = new Promise<[string, string]>((resolve) => (ready = resolve));
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const [kind, a, b] = line.split(' ');
    if (kind === 'ready') ready?.([a!, b!]);
    if (kind === 'fault') arrivals.push({ point: a!, subject: b ?? '' });
    for (const wake of waiters) wake();
  });
  const started = await Promise.race([readyLine, exit.then(() => undefined)]);
  if (!started) throw new Error('the fault server exited before it listened (its stderr is above)');
  const [api, pki] = started;

  const reached = (point: FaultPoint, count = 1) =>
    new Promise<string[]>((resolve, reject) => {
      const check = () => {
        const hits = arrivals.filter((a) => a.point === point);
        if (hits.length >= count) {
          waiters.delete(check);
          resolve(hits.map((h) => h.subject));
        } else if (exited) {
          waiters.delete(check);
          reject(new Error(`the fault server exited before reaching ${point}`));
        }
      };
      waiters.add(check);
      check();
    });

  return {
    process: child,
    api,
    pki,
    reached,
    async call(method, path, body) {
      const answer = await httpCall(`${api}${path}`, method, body);
      const text = answer.raw.toString('utf8');
      let json: HttpAnswer['json'] = {};
      try {
        json = text ? JSON.parse(text) : {};
      } catch {}
      return { status: answer.status, headers: answer.headers, body: text, json };
    },
    async pkiGet(path) {
      const answer = await httpCall(`${pki}${path}`, 'GET', undefined, {});
      return { status: answer.status, body: answer.raw };
    },
    async kill9() {
      if (!exited) child.kill('SIGKILL');
      await exit;
    },
    async stop() {
      if (!exited) child.kill('SIGTERM');
      await exit;
    },
  };
}
