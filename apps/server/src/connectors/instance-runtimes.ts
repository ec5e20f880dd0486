import type { ConnectorKind, ConnectorRegistry, ConnectorRuntime } from '@certctl/core';
import type { Executor } from '../db/open-database.js';
import type { ConfigCipher } from './config-cipher.js';
import { decryptSecrets, type InstanceKind } from './secret-config.js';

/** The table that holds the configured instances of a connector kind. */
const TABLES = { issuer: 'issuers', notifier: 'notifiers', discovery: 'discoverySources' } as const satisfies Record<
  InstanceKind,
  string
>;

export interface InstanceRuntimes<K extends InstanceKind & ConnectorKind> {
  /** The runtime of an instance row (config decrypted, instantiated once, rebuilt when the row changes). */
  get(instanceId: string): Promise<ConnectorRuntime<K>>;
  /** Drops the cached runtime (after an update or delete in this process). */
  invalidate(instanceId: string): Promise<void>;
  stopAll(): Promise<void>;
}

export class InstanceNotFoundError extends Error {
  constructor(
    readonly kind: InstanceKind,
    readonly instanceId: string,
  ) {
    super(`${kind} ${instanceId} does not exist`);
    this.name = 'InstanceNotFoundError';
  }
}

/** Runtimes of the connector instances configured in the database (issuers, notifiers, discovery sources), cached per row version. */
export function createInstanceRuntimes<K extends InstanceKind & ConnectorKind>(
  kind: K,
  db: Executor,
  registry: ConnectorRegistry,
  cipher: ConfigCipher,
): InstanceRuntimes<K> {
  const table = TABLES[kind] as 'issuers';
  const cache = new Map<string, { stamp: number; runtime: Promise<ConnectorRuntime<K>> }>();
  const drop = async (instanceId: string) => {
    const entry = cache.get(instanceId);
    cache.delete(instanceId);
    if (entry) await (await entry.runtime.catch(() => undefined))?.stop();
  };
  return {
    async get(instanceId) {
      const row = await db
        .selectFrom(table)
        .select(['id', 'type', 'config', 'updatedAt', 'enabled'])
        .where('id', '=', instanceId)
        .executeTakeFirst();
      if (!row) throw new InstanceNotFoundError(kind, instanceId);
      // Another replica may have changed the row: its updated_at is the cache key.
      const stamp = row.updatedAt.getTime();
      const cached = cache.get(instanceId);
      if (cached && cached.stamp === stamp) return cached.runtime;
      if (cached) await drop(instanceId);
      const runtime = (async () => {
        const manifest = registry.get(kind, row.type);
        const config = decryptSecrets(manifest.configSchema, row.config, cipher, row.id, kind);
        return registry.instantiate(kind, row.type, config, { instanceId: row.id });
      })();
      cache.set(instanceId, { stamp, runtime });
      runtime.catch(() => {
        if (cache.get(instanceId)?.runtime === runtime) cache.delete(instanceId);
      });
      return runtime;
    },
    invalidate: drop,
    async stopAll() {
      await Promise.all([...cache.keys()].map(drop));
    },
  };
}
