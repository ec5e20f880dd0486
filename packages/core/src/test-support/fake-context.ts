import type { ConnectorContext, ConnectorLogger, LogFields } from '../context.js';

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  fields: LogFields;
  message?: string;
}

/** A logger that records every line, so tests can assert what would have reached the sink. */
export function createRecordingLogger(
  lines: LogLine[] = [],
  bindings: LogFields = {},
): ConnectorLogger & { lines: LogLine[] } {
  const at = (level: LogLine['level']) => (first: LogFields | string, message?: string) => {
    if (typeof first === 'string') lines.push({ level, fields: { ...bindings }, message: first });
    else lines.push({ level, fields: { ...bindings, ...first }, message });
  };
  return {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => createRecordingLogger(lines, { ...bindings, ...more }),
  };
}

/** A minimal context for core's own tests; apps and the testkit build real ones with connector-utils. */
export function createFakeContext(
  logger: ConnectorLogger,
  signal: AbortSignal = new AbortController().signal,
): ConnectorContext {
  const store = new Map<string, string>();
  return {
    logger,
    network: {},
    clock: { now: () => new Date(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    signal,
    exec: () => Promise.reject(new Error('no exec in core tests')),
    tmpDir: '/tmp',
    metrics: { increment: () => {}, observe: () => {}, set: () => {} },
    secrets: {
      get: async (k) => store.get(k),
      set: async (k, v) => void store.set(k, v),
      delete: async (k) => void store.delete(k),
    },
    environment: { app: 'test' },
  };
}
