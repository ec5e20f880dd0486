import { createConnectorContext } from '@certctl/connector-utils';
import type {
  ConnectorContext,
  ConnectorEnvironment,
  ConnectorLogger,
  ConnectorNetwork,
  ConnectorSecretStore,
  Exec,
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
  /** Where the connector may connect; default loopback and private addresses (fakes run on loopback), strict otherwise. */
  network?: ConnectorNetwork;
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

/**
 * A complete ConnectorContext for tests, built with connector-utils' `createConnectorContext`:
 * capturing logger, a network that reaches loopback and private addresses (where fakes run), a clock whose
 * sleeps return at once, connector-utils' command runner, a fresh temp dir, recorded metrics and an
 * in-memory secret store.
 */
export async function createTestContext(options: CreateTestContextOptions = {}): Promise<TestContext> {
  const logs: LogRecord[] = [];
  const metricsRecorded: MetricRecord[] = [];
  const secretEntries = new Map(Object.entries(options.secrets ?? {}));
  const controller = new AbortController();
  const ownDir = options.tmpDir === undefined ? await createTempDir('certctl-ctx-') : undefined;
  let cleaned = false;
  const logger = captureLogger(logs, {});
  const base = createConnectorContext({
    connector: 'conformance',
    logger,
    network: options.network ?? { allowLoopback: true, allowPrivate: true },
    clock: options.clock ?? createTestClock(),
    signal: controller.signal,
    exec: options.exec ?? { defaultTimeoutMs: 60_000 },
    tmpDir: options.tmpDir ?? ownDir!.path,
    environment: { app: 'test', instanceId: 'conformance', ...options.environment },
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
  });
  return {
    ...base,
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
