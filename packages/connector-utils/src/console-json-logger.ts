import type { ConnectorLogger, LogFields } from '@certctl/core';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface ConsoleJsonLoggerOptions {
  /** Lowest level written; default `info`. */
  level?: LogLevel;
  /** Fields on every line, e.g. `{ connector: 'issuer-acme' }`. */
  bindings?: LogFields;
  /** Where lines go; default `process.stderr`. */
  write?: (line: string) => void;
  /** Clock for the `time` field. */
  now?: () => number;
}

const LEVELS: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50 };
const SECRET_KEY = /pass(word|phrase)?|secret|token|authorization|cookie|api_?key|private_?key|credential/i;

/** A pino-compatible logger writing one JSON object per line (`level`, `time`, bindings, fields, `msg`), secrets redacted by key. */
export function createConsoleJsonLogger(options: ConsoleJsonLoggerOptions = {}): ConnectorLogger {
  const threshold = LEVELS[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;

  const make = (bindings: LogFields): ConnectorLogger => {
    const at =
      (level: LogLevel) =>
      (fieldsOrMessage: LogFields | string, message?: string): void => {
        if (LEVELS[level] < threshold) return;
        const fields = typeof fieldsOrMessage === 'string' ? {} : fieldsOrMessage;
        const msg = typeof fieldsOrMessage === 'string' ? fieldsOrMessage : message;
        const line = {
          level: LEVELS[level],
          time: now(),
          ...redact(bindings, 0),
          ...redact(fields, 0),
          ...(msg === undefined ? {} : { msg }),
        };
        write(JSON.stringify(line));
      };
    return {
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make(options.bindings ?? {});
}

function redact(value: LogFields, depth: number): LogFields {
  const out: LogFields = {};
  for (const [key, field] of Object.entries(value))
    out[key] = SECRET_KEY.test(key) ? '[redacted]' : redactValue(field, depth + 1);
  return out;
}

function redactValue(value: unknown, depth: number): unknown {
  if (value instanceof Error) return { type: value.name, message: value.message };
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  if (Object.getPrototypeOf(value) !== Object.prototype) return value;
  return redact(value as LogFields, depth);
}
