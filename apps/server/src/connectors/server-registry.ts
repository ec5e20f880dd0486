import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type ConnectorEnvironment,
  type ConnectorLogger,
  type ConnectorNetwork,
  type ConnectorRegistry,
  createRegistry,
} from '@certctl/core';
import { createConnectorContext } from '@certctl/connector-utils';
import type { Executor } from '../db/open-database.js';
import type { ServerMetrics } from '../observability/metrics.js';
import type { ConfigCipher } from './config-cipher.js';
import { createDatabaseSecretStore } from './secret-store.js';

export interface RegistryDependencies {
  db: Executor;
  cipher: ConfigCipher;
  metrics: ServerMetrics;
  environment: Omit<ConnectorEnvironment, 'instanceId'>;
  /**
   * Notifiers' `publicBaseUrl`: where their links to certificates point (connector-utils'
   * notificationLink appends `/certificates/<id>`); default `environment.publicBaseUrl`.
   */
  notifierBaseUrl?: string;
  /** `CERTCTL_NETWORK_ALLOW`: private hosts and CIDRs the operator lets connectors reach. */
  networkAllow?: readonly string[];
}

export interface ServerRegistry {
  registry: ConnectorRegistry;
  /** Gives the registry what instances need; connectors can be registered before the database is open. */
  attach(deps: RegistryDependencies): void;
  /** Aborts every instance's `ctx.signal`. */
  abortAll(): void;
  /** The `ctx.network` connectors get: the test hook's, or the strict policy plus the operator's allow-list. */
  network(): ConnectorNetwork;
  /** Removes every instance's `ctx.tmpDir` (after the instances are stopped). */
  removeScratch(): void;
}

export interface ServerRegistryOptions {
  /**
   * Test hook: the `ctx.network` every connector gets instead of the default one (the strict SSRF
   * policy that refuses loopback and private addresses). Tests pass one that reaches vendor fakes on
   * loopback (connector-testkit's fakeVendorNetwork). Nothing in production sets it: the CLI builds
   * the registry without options, and no variable reaches it.
   */
  network?: ConnectorNetwork;
}

export function createServerRegistry(logger: ConnectorLogger, options: ServerRegistryOptions = {}): ServerRegistry {
  let deps: RegistryDependencies | undefined;
  const shutdown = new AbortController();
  const network = (): ConnectorNetwork => {
    const operatorAllow = deps?.networkAllow ?? [];
    const base = options.network ?? {};
    return operatorAllow.length > 0 ? { ...base, allow: [...(base.allow ?? []), ...operatorAllow] } : base;
  };
  const scratch: string[] = [];
  const registry = createRegistry({
    logger,
    async createContext({ kind, id, instanceId, logger: connectorLogger }) {
      if (!deps) throw new Error('the connector registry is not attached to a database yet');
      const tmpDir = mkdtempSync(join(tmpdir(), `certctl-${kind}-${id}-`));
      scratch.push(tmpDir);
      return createConnectorContext({
        tmpDir,
        connector: `${kind}-${id}`,
        logger: connectorLogger,
        network: network(),
        signal: shutdown.signal,
        metrics: deps.metrics.forConnector(`${kind}-${id}`),
        secrets: createDatabaseSecretStore(deps.db, deps.cipher, instanceId),
        environment: {
          ...deps.environment,
          ...(kind === 'notifier' && deps.notifierBaseUrl && { publicBaseUrl: deps.notifierBaseUrl }),
          instanceId,
        },
      });
    },
  });
  return {
    registry,
    attach(next) {
      deps = next;
    },
    abortAll() {
      shutdown.abort(new Error('server shutting down'));
    },
    network,
    removeScratch() {
      for (const dir of scratch.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}
