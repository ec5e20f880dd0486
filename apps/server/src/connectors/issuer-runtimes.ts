import type { ConnectorRegistry, ConnectorRuntime } from '@certctl/core';
import type { Executor } from '../db/open-database.js';
import type { ConfigCipher } from './config-cipher.js';
import { decryptSecrets } from './secret-config.js';

export type IssuerRuntime = ConnectorRuntime<'issuer'>;

export interface IssuerRuntimes {
  /** The runtime of an issuer row (config decrypted, instantiated once, rebuilt when the row changes). */
  get(issuerId: string): Promise<IssuerRuntime>;
  /** Drops the cached runtime (after an update or delete in this process). */
  invalidate(issuerId: string): Promise<void>;
  stopAll(): Promise<void>;
}

export class IssuerNotFoundError extends Error {
  constructor(readonly issuerId: string) {
    super(`issuer ${issuerId} does not exist`);
    this.name = 'IssuerNotFoundError';
  }
}

export function createIssuerRuntimes(db: Executor, registry: ConnectorRegistry, cipher: ConfigCipher): IssuerRuntimes {
  const cache = new Map<string, { stamp: number; runtime: Promise<IssuerRuntime> }>();
  const drop = async (issuerId: string) => {
    const entry = cache.get(issuerId);
    cache.delete(issuerId);
    if (entry) await (await entry.runtime.catch(() => undefined))?.stop();
  };
  return {
    async get(issuerId) {
      const row = await db.selectFrom('issuers').select(['id', 'type', 'config', 'updatedAt', 'enabled']).where('id', '=', issuerId).executeTakeFirst();
      if (!row) throw new IssuerNotFoundError(issuerId);
      // Another replica may have changed the row: its updated_at is the cache key.
      const stamp = row.updatedAt.getTime();
      const cached = cache.get(issuerId);
      if (cached && cached.stamp === stamp) return cached.runtime;
      if (cached) await drop(issuerId);
      const runtime = (async () => {
        const manifest = registry.get('issuer', row.type);
        const config = decryptSecrets(manifest.configSchema, row.config, cipher, row.id);
        return registry.instantiate('issuer', row.type, config, { instanceId: row.id });
      })();
      cache.set(issuerId, { stamp, runtime });
      runtime.catch(() => {
        if (cache.get(issuerId)?.runtime === runtime) cache.delete(issuerId);
      });
      return runtime;
    },
    invalidate: drop,
    async stopAll() {
      await Promise.all([...cache.keys()].map(drop));
    },
  };
}
