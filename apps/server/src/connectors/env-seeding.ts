import { type ConnectorRegistry, configFromEnv, parseConfig } from '@certctl/core';
import type { Executor } from '../db/open-database.js';
import type { ConfigCipher } from './config-cipher.js';
import { encryptSecrets, type InstanceKind } from './secret-config.js';

export interface SeededIssuer {
  id: string;
  type: string;
  source: 'env' | 'builtin';
}

export type SeededNotifier = SeededIssuer & { source: 'env' };

interface SeedOptions {
  kind: InstanceKind;
  table: 'issuers' | 'notifiers';
  idPrefix: string;
  /** A connector seeded even without variables (the local CA), with source `builtin`. */
  builtin?: { id: string; name: string };
}

/**
 * One instance per connector configured through its `CERTCTL_<VENDOR>_*` variables (id
 * `<prefix>-<connector>`). Env-seeded rows follow the environment on every boot; rows created
 * through the API are never touched. Invalid env configs stop start-up: the message names the
 * variables' connector.
 */
async function seedInstancesFromEnv(
  db: Executor,
  registry: ConnectorRegistry,
  cipher: ConfigCipher,
  env: Readonly<Record<string, string>>,
  options: SeedOptions,
): Promise<SeededIssuer[]> {
  const seeded: SeededIssuer[] = [];
  const table = options.table as 'issuers';
  for (const entry of registry.list(options.kind)) {
    const manifest = entry.manifest;
    if (!manifest) continue;
    const raw = configFromEnv(manifest.configSchema, manifest.env, env);
    const id = `${options.idPrefix}-${manifest.id}`;
    const builtin = options.builtin?.id === manifest.id;
    if (raw === undefined && !builtin) continue;
    const source = raw === undefined ? 'builtin' : 'env';
    parseConfig(manifest.configSchema, raw ?? {}, `${options.kind}-${manifest.id}`);
    // Stored as the operator gave it; the schema's defaults apply again at instantiation.
    const stored = JSON.stringify(encryptSecrets(manifest.configSchema, raw ?? {}, cipher, id, options.kind));
    const existing = await db.selectFrom(table).select(['source']).where('id', '=', id).executeTakeFirst();
    if (!existing) {
      await db
        .insertInto(table)
        .values({
          id,
          name: builtin ? options.builtin!.name : `${manifest.displayName} (env)`,
          type: manifest.id,
          config: stored,
          source,
        })
        .onConflict((oc) => oc.column('id').doNothing())
        .execute();
    } else if (existing.source === 'env' && source === 'env') {
      await db.updateTable(table).set({ config: stored, updatedAt: new Date() }).where('id', '=', id).execute();
    }
    seeded.push({ id, type: manifest.id, source });
  }
  return seeded;
}

/** The issuer seeded even without variables when its connector is installed; it also signs the bootstrap HTTPS certificate. */
export const BUILTIN_ISSUER = { connector: 'local', name: 'Local CA' } as const;

/** Issuers from `CERTCTL_<VENDOR>_*` (id `iss-<connector>`), and the built-in local CA when that connector is installed. */
export function seedIssuersFromEnv(
  db: Executor,
  registry: ConnectorRegistry,
  cipher: ConfigCipher,
  env: Readonly<Record<string, string>>,
): Promise<SeededIssuer[]> {
  return seedInstancesFromEnv(db, registry, cipher, env, {
    kind: 'issuer',
    table: 'issuers',
    idPrefix: 'iss',
    builtin: { id: BUILTIN_ISSUER.connector, name: BUILTIN_ISSUER.name },
  });
}

/** Notifiers from their reference variables (`CERTCTL_SLACK_WEBHOOK_URL`, `CERTCTL_SMTP_HOST`, ...), id `ntf-<connector>`. */
export async function seedNotifiersFromEnv(
  db: Executor,
  registry: ConnectorRegistry,
  cipher: ConfigCipher,
  env: Readonly<Record<string, string>>,
): Promise<SeededNotifier[]> {
  return (await seedInstancesFromEnv(db, registry, cipher, env, {
    kind: 'notifier',
    table: 'notifiers',
    idPrefix: 'ntf',
  })) as SeededNotifier[];
}
