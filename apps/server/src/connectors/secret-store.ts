import type { ConnectorSecretStore } from '@certctl/core';
import type { Executor } from '../db/open-database.js';
import type { ConfigCipher } from './config-cipher.js';

/** A connector instance's durable secrets (a local CA key, an ACME account key), encrypted in the database. */
export function createDatabaseSecretStore(
  db: Executor,
  cipher: ConfigCipher,
  instanceId: string,
): ConnectorSecretStore {
  const context = (name: string) => `connector-secret:${instanceId}:${name}`;
  return {
    async get(name) {
      const row = await db
        .selectFrom('connectorSecrets')
        .select('valueEncrypted')
        .where('instanceId', '=', instanceId)
        .where('name', '=', name)
        .executeTakeFirst();
      return row ? cipher.decrypt(row.valueEncrypted, context(name)) : undefined;
    },
    async set(name, value) {
      const valueEncrypted = cipher.encrypt(value, context(name));
      await db
        .insertInto('connectorSecrets')
        .values({ instanceId, name, valueEncrypted })
        .onConflict((oc) => oc.columns(['instanceId', 'name']).doUpdateSet({ valueEncrypted, updatedAt: new Date() }))
        .execute();
    },
    async delete(name) {
      await db.deleteFrom('connectorSecrets').where('instanceId', '=', instanceId).where('name', '=', name).execute();
    },
  };
}
