/** A ConnectorContext for these tests: captured logs, an in-memory secret store that counts writes, a settable clock. */
import type { ConnectorContext, ConnectorEnvironment, ConnectorSecretStore, LogFields } from '@certctl/core';

export interface LocalTestContext extends ConnectorContext {
  secretEntries: Map<string, string>;
  secretWrites: string[];
  logs: { level: string; fields: LogFields; message?: string }[];
  setNow(date: Date): void;
}

export function memorySecretStore(entries: Map<string, string>, writes: string[] = []): ConnectorSecretStore {
  return {
    get: async (name) => entries.get(name),
    set: async (name, value) => {
      writes.push(name);
      entries.set(name, value);
    },
    delete: async (name) => {
      entries.delete(name);
    },
  };
}

export function createLocalTestContext(
  options: { secretEntries?: Map<string, string>; environment?: Partial<ConnectorEnvironment>; now?: Date } = {},
): LocalTestContext {
  const secretEntries = options.secretEntries ?? new Map<string, string>();
  const secretWrites: string[] = [];
  const logs: LocalTestContext['logs'] = [];
  let fixedNow = options.now;
  const logger = (bindings: LogFields): ConnectorContext['logger'] => {
    const at =
      (level: string) =>
      (first: LogFields | string, message?: string): void => {
        if (typeof first === 'string') logs.push({ level, fields: bindings, message: first });
        else logs.push({ level, fields: { ...bindings, ...first }, message });
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (more) => logger({ ...bindings, ...more }),
    };
  };
  return {
    logger: logger({}),
    network: {},
    clock: {
      now: () => fixedNow ?? new Date(),
      sleep: async () => {},
    },
    signal: new AbortController().signal,
    exec: () => Promise.reject(new Error('the local CA runs no programs')),
    tmpDir: '/nonexistent',
    metrics: { increment: () => {}, observe: () => {}, set: () => {} },
    secrets: memorySecretStore(secretEntries, secretWrites),
    environment: {
      app: 'test',
      pkiHttpBaseUrl: 'http://pki.example.test:8080',
      instanceId: 'iss-local',
      ...options.environment,
    },
    secretEntries,
    secretWrites,
    logs,
    setNow(date) {
      fixedNow = date;
    },
  };
}
