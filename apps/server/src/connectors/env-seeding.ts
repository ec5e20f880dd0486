import { type ConnectorRegistry, configFromEnv, parseConfig } from '@certctl/core';
import type { Executor } from '../db/open-database.js';
import type { ConfigCipher } from './config-cipher.js';
import { encryptSecrets } from './secret-config.js';

export interface SeededIssuer {
  id: string;
  type: string;
  source: 'env' | 'builtin';
}

/**
 * Creates or refreshes one issuer per connector configured through its `CERTCTL_<VENDOR>_*`
 * variables (id `iss-<connector>`), and the built-in local CA `iss-local` when that connector is
 * installed. Env-seeded rows follow the environment on every boot; rows created through the API are
 * never touched. Invalid env configs stop start-up: the message names the variables' connector.
 */
export async function seedIssuersFromEnv(
  db: Executor,
  registry: ConnectorRegistry,
  cipher: ConfigCipher,
  env: Readonly<Record<string, string>>,
): Promise<SeededIssuer[]> {
  const seeded: SeededIssuer[] = [];
  for (const entry of registry.list('issuer')) {
    const manifest = entry.manifest;
    if (!manifest) continue;
    const raw = configFromEnv(manifest.configSchema, manifest.env, env);
    const id = `iss-${manifest.id}`;
    if (raw === undefined && manifest.id !== 'local') continue;
    const source = raw === undefined ? 'builtin' : 'env';
    parseConfig(manifest.configSchema, raw ?? {}, `issuer-${manifest.id}`);
    // Stored as the operator gave it; the schema's defaults apply again at instantiation.
    const stored = JSON.stringify(encryptSecrets(manifest.configSchema, raw ?? {}, cipher, id));
    const existing = await db.selectFrom('issuers').select(['source']).where('id', '=', id).executeTakeFirst();
    if (!existing) {
      await db
        .insertInto('issuers')
        .values({ id, name: manifest.id === 'local' ? 'Local CA' : `${manifest.displayName} (env)`, type: manifest.id, config: stored, source })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    } else if (existing.source === 'env' && source === 'env') {
      await db.updateTable('issuers').set({ config: stored, updatedAt: new Date() }).where('id', '=', id).execute();
    }
    seeded.push({ id, type: manifest.id, source });
  }
  return seeded;
}
