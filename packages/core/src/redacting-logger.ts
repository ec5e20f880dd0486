import type { ConnectorLogger, LogFields, LogFn } from './context.js';
import { scrubSecrets } from './config-schema.js';
import { REDACTED } from './secret.js';

/** Field names whose values are never logged, whatever the connector puts in them. */
const SENSITIVE_KEY =
  /(^|_|-)(key_?pem|private_?key|keypem|password|passphrase|secret|token|authorization|api_?key|hmac|cookie)$/i;

function redactValue(value: unknown, secrets: readonly string[], depth: number): unknown {
  if (typeof value === 'string') return scrubSecrets(value, secrets);
  if (depth > 6 || typeof value !== 'object' || value === null) return value;
  if (value instanceof Error) return { name: value.name, message: scrubSecrets(value.message, secrets) };
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets, depth + 1));
  if (value instanceof Date || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] =
      SENSITIVE_KEY.test(k) || /PRIVATE KEY-----/.test(typeof v === 'string' ? v : '')
        ? REDACTED
        : redactValue(v, secrets, depth + 1);
  }
  return out;
}

/** Redacts sensitive fields and known secret values from whatever is logged through it. */
export function redactFields(fields: LogFields, secrets: readonly string[]): LogFields {
  return redactValue(fields, secrets, 0) as LogFields;
}

/** Wraps a logger so secret config values and key material never reach the log sink. */
export function createRedactingLogger(inner: ConnectorLogger, secrets: readonly string[]): ConnectorLogger {
  const wrap = (fn: LogFn): LogFn =>
    ((first: LogFields | string, message?: string) => {
      if (typeof first === 'string') fn(scrubSecrets(first, secrets));
      else fn(redactFields(first, secrets), message === undefined ? undefined : scrubSecrets(message, secrets));
    }) as LogFn;
  return {
    debug: wrap(inner.debug.bind(inner)),
    info: wrap(inner.info.bind(inner)),
    warn: wrap(inner.warn.bind(inner)),
    error: wrap(inner.error.bind(inner)),
    child: (bindings) => createRedactingLogger(inner.child(redactFields(bindings, secrets)), secrets),
  };
}

/** A logger that drops everything, for callers that pass none. */
export const silentLogger: ConnectorLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => silentLogger,
};
