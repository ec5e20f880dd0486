/**
 * Everything a connector may touch of the outside world. A connector reads no `process.env`, opens
 * no globals of its own and reaches the network only through connector-utils' `createHttpClient({
 * context: ctx })` (or a vendor SDK configured from `ctx.network`), so that the app decides the SSRF
 * policy, logging, metrics and where secrets live.
 */

export type LogFields = Record<string, unknown>;

/** pino-compatible: `logger.info({ orderId }, 'order placed')` or `logger.info('started')`. */
export interface LogFn {
  (fields: LogFields, message?: string): void;
  (message: string): void;
}

export interface ConnectorLogger {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  child(bindings: LogFields): ConnectorLogger;
}

export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export interface ExecOptions {
  /** Kill the child after this long (SIGTERM, then SIGKILL); required, there is no unbounded run. */
  timeoutMs?: number;
  cwd?: string;
  /** Environment for the child; the parent's environment is NOT inherited unless the app says so. */
  env?: Record<string, string>;
  /** Bytes written to the child's stdin, then closed. */
  input?: string | Uint8Array;
  signal?: AbortSignal;
  /** Largest stdout/stderr kept, in bytes (each); the rest is dropped and `truncated` is set. */
  maxOutputBytes?: number;
}

export interface ExecResult {
  exitCode: number | null;
  /** Signal that ended the child, e.g. `SIGTERM` after a timeout. */
  signal: string | null;
  stdout: string;
  /** The same stdout as raw bytes, for programs that print binary (a DER CRL); set by connector-utils' runner. */
  stdoutBytes?: Uint8Array;
  stderr: string;
  timedOut: boolean;
  truncated: boolean;
}

/** Runs a program with an argv array: no shell is involved, so arguments are never interpreted. */
export type Exec = (command: string, args: readonly string[], options?: ExecOptions) => Promise<ExecResult>;

export type MetricLabels = Record<string, string>;

export interface ConnectorMetrics {
  /** Adds `value` (default 1) to a counter, e.g. `increment('vault_token_renewals_total', { outcome: 'ok' })`. */
  increment(name: string, labels?: MetricLabels, value?: number): void;
  /** Records an observation (seconds, bytes) in a histogram. */
  observe(name: string, value: number, labels?: MetricLabels): void;
  /** Sets a gauge. */
  set(name: string, value: number, labels?: MetricLabels): void;
}

/**
 * Durable, encrypted-at-rest storage scoped to one connector instance: ACME account keys, a local
 * CA's private key, a renewed token. The server keeps it in its database; tests keep it in memory.
 */
export interface ConnectorSecretStore {
  get(name: string): Promise<string | undefined>;
  set(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

export interface ConnectorContext {
  logger: ConnectorLogger;
  /** Where the app lets connectors connect; connector-utils' HTTP client turns it into its SSRF policy. */
  network: ConnectorNetwork;
  clock: Clock;
  /** Aborts when the app shuts the connector down. */
  signal: AbortSignal;
  exec: Exec;
  /** A private directory for this instance's scratch files; the app removes it on stop. */
  tmpDir: string;
  metrics: ConnectorMetrics;
  secrets: ConnectorSecretStore;
  /**
   * Facts about the app this connector runs in, e.g. its public base URL so a local CA can put CRL
   * and OCSP URLs pointing at the server into certificates.
   */
  environment: ConnectorEnvironment;
}

/**
 * The app's network policy as data (core depends on no HTTP library). Public addresses are always
 * allowed; cloud metadata and link-local addresses never are.
 */
export interface ConnectorNetwork {
  /** CIDRs (`10.1.2.0/24`) and host names (`vault.corp`, `*.corp.example`) allowed besides public addresses. */
  allow?: readonly string[];
  /** RFC 1918, CGNAT and unique-local IPv6 ranges (an agent reaching appliances on its LAN). */
  allowPrivate?: boolean;
  /** 127.0.0.0/8 and ::1. */
  allowLoopback?: boolean;
  /** PEM CA certificates trusted for TLS in addition to the system store (a corporate CA, a test fake's CA). */
  ca?: readonly string[];
}

export interface ConnectorEnvironment {
  /** `server` or `agent`, or `test` inside the conformance suites. */
  app: 'server' | 'agent' | 'test';
  /** The server's public URL for relying parties (CRL, OCSP, ACME), when the app knows it. */
  publicBaseUrl?: string;
  /** Plain-HTTP base URL for CRL/OCSP (relying parties fetch those without TLS). */
  pkiHttpBaseUrl?: string;
  /** The instance name the operator gave this connector, e.g. `iss-local`. */
  instanceId?: string;
}
