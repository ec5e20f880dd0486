import { spawn } from 'node:child_process';
import type {
  ConnectorContext,
  ConnectorEnvironment,
  ConnectorLogger,
  ConnectorSecretStore,
  Exec,
  ExecResult,
  LogFields,
} from '@certctl/core';
import { createTempDir } from './temp-dir.js';
import { createTestClock, type TestClock } from './test-clock.js';

export interface LogRecord {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: LogFields;
  message?: string;
}

export interface MetricRecord {
  type: 'increment' | 'observe' | 'set';
  name: string;
  value: number;
  labels?: Record<string, string>;
}

export interface TestContext extends ConnectorContext {
  clock: TestClock | ConnectorContext['clock'];
  /** Everything logged through `logger` (and its children), in order. */
  readonly logs: LogRecord[];
  readonly metricsRecorded: MetricRecord[];
  /** The in-memory store behind `secrets`. */
  readonly secretEntries: Map<string, string>;
  /** Aborts `signal`, removes `tmpDir`; idempotent. */
  cleanup(): Promise<void>;
}

export interface CreateTestContextOptions {
  clock?: ConnectorContext['clock'];
  fetch?: typeof globalThis.fetch;
  exec?: Exec;
  /** Use this directory instead of a fresh temp dir (it is then not removed by `cleanup`). */
  tmpDir?: string;
  environment?: Partial<ConnectorEnvironment>;
  /** Values the secret store starts with. */
  secrets?: Record<string, string>;
}

function captureLogger(records: LogRecord[], bindings: LogFields): ConnectorLogger {
  const at =
    (level: LogRecord['level']) =>
    (first: LogFields | string, message?: string): void => {
      if (typeof first === 'string') records.push({ level, fields: { ...bindings }, message: first });
      else records.push({ level, fields: { ...bindings, ...first }, message });
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => captureLogger(records, { ...bindings, ...more }),
  };
}

function memorySecretStore(entries: Map<string, string>): ConnectorSecretStore {
  return {
    get: async (name) => entries.get(name),
    set: async (name, value) => {
      entries.set(name, value);
    },
    delete: async (name) => {
      entries.delete(name);
    },
  };
}

/** Runs a program without a shell, with a deadline and bounded output; the parent environment is not inherited. */
export const testExec: Exec = (command, args, options = {}) =>
  new Promise<ExecResult>((resolve, reject) => {
    const limit = options.maxOutputBytes ?? 1024 * 1024;
    const child = spawn(command, [...args], {
      cwd: options.cwd,
      env: options.env ?? { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      signal: options.signal,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let truncated = false;
    let timedOut = false;
    const take = (current: string, chunk: Buffer): string => {
      const room = limit - Buffer.byteLength(current);
      if (chunk.length > room) truncated = true;
      return room > 0 ? current + chunk.subarray(0, room).toString('utf8') : current;
    };
    child.stdout.on('data', (c: Buffer) => {
      stdout = take(stdout, c);
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr = take(stderr, c);
    });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 2000).unref();
    }, options.timeoutMs ?? 60_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (exitCode, signal) => {
      clearTimeout(timer);
      resolve({ exitCode, signal, stdout, stderr, timedOut, truncated });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });

/**
 * A complete ConnectorContext for tests: capturing logger, real fetch, a clock whose sleeps return
 * at once, a real `exec`, a fresh temp dir, recorded metrics and an in-memory secret store.
 */
export async function createTestContext(options: CreateTestContextOptions = {}): Promise<TestContext> {
  const logs: LogRecord[] = [];
  const metricsRecorded: MetricRecord[] = [];
  const secretEntries = new Map(Object.entries(options.secrets ?? {}));
  const controller = new AbortController();
  const ownDir = options.tmpDir === undefined ? await createTempDir('certctl-ctx-') : undefined;
  let cleaned = false;
  return {
    logger: captureLogger(logs, {}),
    fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    clock: options.clock ?? createTestClock(),
    signal: controller.signal,
    exec: options.exec ?? testExec,
    tmpDir: options.tmpDir ?? ownDir!.path,
    metrics: {
      increment: (name, labels, value = 1) => {
        metricsRecorded.push({ type: 'increment', name, value, labels });
      },
      observe: (name, value, labels) => {
        metricsRecorded.push({ type: 'observe', name, value, labels });
      },
      set: (name, value, labels) => {
        metricsRecorded.push({ type: 'set', name, value, labels });
      },
    },
    secrets: memorySecretStore(secretEntries),
    environment: { app: 'test', instanceId: 'conformance', ...options.environment },
    logs,
    metricsRecorded,
    secretEntries,
    async cleanup() {
      if (cleaned) return;
      cleaned = true;
      controller.abort(new Error('test context cleaned up'));
      await ownDir?.remove();
    },
  };
}
