import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type {
  Clock,
  ConnectorContext,
  ConnectorEnvironment,
  ConnectorLogger,
  ConnectorMetrics,
  ConnectorNetwork,
  ConnectorSecretStore,
  Exec,
} from '@certctl/core';
import { type CommandRunnerOptions, createCommandRunner } from './command-runner.js';
import { createConsoleJsonLogger } from './console-json-logger.js';
import { createMemorySecretStore } from './memory-secret-store.js';
import { noopMetrics } from './noop-metrics.js';
import { systemClock } from './system-clock.js';

export interface CreateConnectorContextOptions {
  /** Connector id, e.g. `issuer-acme`: bound into the default logger and error messages. */
  connector?: string;
  logger?: ConnectorLogger;
  /** Where connectors may connect (default: public addresses only, the system CA store). */
  network?: ConnectorNetwork;
  clock?: Clock;
  /** Aborts when the app stops the connector; default a signal that never aborts. */
  signal?: AbortSignal;
  /** A ready Exec, or options for `createCommandRunner`. */
  exec?: Exec | CommandRunnerOptions;
  /** Scratch directory; default a fresh 0700 directory under the OS temp dir (the app removes it). */
  tmpDir?: string;
  metrics?: ConnectorMetrics;
  secrets?: ConnectorSecretStore;
  environment: ConnectorEnvironment;
}

/** Builds a real ConnectorContext from the pieces of this package, with safe defaults for anything not given. */
export function createConnectorContext(options: CreateConnectorContextOptions): ConnectorContext {
  const { connector } = options;
  const logger = options.logger ?? createConsoleJsonLogger({ bindings: connector ? { connector } : {} });
  const exec =
    typeof options.exec === 'function' ? options.exec : createCommandRunner({ connector, logger, ...options.exec });
  return {
    logger,
    network: options.network ?? {},
    clock: options.clock ?? systemClock,
    signal: options.signal ?? new AbortController().signal,
    exec,
    tmpDir: options.tmpDir ?? mkdtempSync(join(tmpdir(), `certctl-${connector ?? 'connector'}-`)),
    metrics: options.metrics ?? noopMetrics,
    secrets: options.secrets ?? createMemorySecretStore(),
    environment: options.environment,
  };
}
