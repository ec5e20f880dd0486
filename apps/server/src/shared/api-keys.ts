import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Executor } from '../db/open-database.js';
import { newId } from '../db/ids.js';
import type { ApiKey, RoleName } from '../db/tables.js';
import type { Actor } from './actor.js';
import { recordAudit } from './audit.js';
import { offsetOf, type PageRequest, type PageResult } from './pagination.js';
import type { ServiceDeps } from './service-deps.js';
import { conflict, notFound } from './service-errors.js';
import { inTransaction } from './transaction.js';

export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** A new key: `cc_` + 32 random bytes base64url. Only its SHA-256 is stored. */
export function generateApiKey(): string {
  return `cc_${randomBytes(32).toString('base64url')}`;
}

export interface ResolvedKey {
  name: string;
  role: RoleName;
  agentId?: string;
  keyId?: string;
  /** Stable id of the key's holder: `env-key:<name>` (names are unique in the env) or `api-key:<id>`. */
  principalId: string;
}

/** Keys from CERTCTL_API_KEYS_NAMED, hashed at start; looked up by constant-time comparison of hashes. */
export function createEnvKeyRing(keys: readonly { name: string; key: string; role: RoleName }[]) {
  const hashed = keys.map((k) => ({ name: k.name, role: k.role, hash: Buffer.from(hashApiKey(k.key), 'hex') }));
  return (presented: string): ResolvedKey | undefined => {
    const candidate = Buffer.from(hashApiKey(presented), 'hex');
    let found: ResolvedKey | undefined;
    // Compare against every key so timing does not reveal which one matched.
    for (const k of hashed)
      if (timingSafeEqual(k.hash, candidate) && !found)
        found = { name: k.name, role: k.role, principalId: `env-key:${k.name}` };
    return found;
  };
}

/** A key created through the API or at registration: looked up by its hash (an index probe on a SHA-256 digest leaks nothing useful). */
export async function resolveStoredKey(db: Executor, presented: string): Promise<ResolvedKey | undefined> {
  const row = await db
    .selectFrom('apiKeys')
    .select(['id', 'name', 'role', 'agentId', 'keyHash'])
    .where('keyHash', '=', hashApiKey(presented))
    .where('revokedAt', 'is', null)
    .executeTakeFirst();
  if (!row || !timingSafeEqual(Buffer.from(row.keyHash, 'hex'), Buffer.from(hashApiKey(presented), 'hex')))
    return undefined;
  return {
    name: row.name,
    role: row.role,
    agentId: row.agentId ?? undefined,
    keyId: row.id,
    principalId: `api-key:${row.id}`,
  };
}

export type ApiKeyView = Omit<ApiKey, 'keyHash'>;
const view = ({ keyHash: _hash, ...rest }: ApiKey): ApiKeyView => rest;

export async function insertApiKey(
  trx: Executor,
  input: { name: string; role: RoleName; agentId?: string; createdBy: string },
): Promise<{ key: string; row: ApiKeyView }> {
  const key = generateApiKey();
  const row = await trx
    .insertInto('apiKeys')
    .values({
      id: newId('apiKey'),
      name: input.name,
      keyHash: hashApiKey(key),
      keyPrefix: key.slice(0, 10),
      role: input.role,
      agentId: input.agentId ?? null,
      createdBy: input.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { key, row: view(row) };
}

export function createApiKey(
  deps: ServiceDeps,
  actor: Actor,
  input: { name: string; role: Exclude<RoleName, 'agent'> },
): Promise<{ key: string; row: ApiKeyView }> {
  return inTransaction(deps, async (trx) => {
    const created = await insertApiKey(trx, { ...input, createdBy: actor.name });
    await recordAudit(
      trx,
      actor,
      'api_key_created',
      { type: 'api_key', id: created.row.id },
      { name: input.name, role: input.role },
    );
    return created;
  });
}

export async function listApiKeys(deps: ServiceDeps, page: PageRequest): Promise<PageResult<ApiKeyView>> {
  const [data, count] = await Promise.all([
    deps.db
      .selectFrom('apiKeys')
      .selectAll()
      .orderBy('createdAt', 'desc')
      .limit(page.perPage)
      .offset(offsetOf(page))
      .execute(),
    deps.db
      .selectFrom('apiKeys')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { data: data.map(view), total: Number(count.n), ...page };
}

export function revokeApiKey(deps: ServiceDeps, actor: Actor, id: string): Promise<ApiKeyView> {
  return inTransaction(deps, async (trx) => {
    const row = await trx.selectFrom('apiKeys').selectAll().where('id', '=', id).executeTakeFirst();
    if (!row) throw notFound('API key', id);
    if (row.revokedAt) throw conflict(`API key ${id} is already revoked`);
    const updated = await trx
      .updateTable('apiKeys')
      .set({ revokedAt: deps.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, 'api_key_revoked', { type: 'api_key', id }, { name: row.name });
    return view(updated);
  });
}

const BOOTSTRAP_STATE = 'bootstrap_admin_key_created';
const ADMIN_KEY_RESET = 'admin-key-reset';

/**
 * On the very first start without CERTCTL_API_KEYS_NAMED, creates an admin key and returns it so
 * the CLI prints it once; only its hash is kept. Later starts return undefined.
 */
export async function ensureBootstrapAdminKey(deps: ServiceDeps, hasEnvKeys: boolean): Promise<string | undefined> {
  if (hasEnvKeys) return undefined;
  return inTransaction(deps, async (trx) => {
    const inserted = await trx
      .insertInto('serverState')
      .values({ key: BOOTSTRAP_STATE, value: JSON.stringify(true) })
      .onConflict((oc) => oc.column('key').doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!inserted) return undefined;
    const { key, row } = await insertApiKey(trx, { name: 'admin', role: 'admin', createdBy: 'bootstrap' });
    await recordAudit(
      trx,
      { name: 'system', type: 'system', role: 'system' },
      'api_key_created',
      { type: 'api_key', id: row.id },
      { name: 'admin', role: 'admin', bootstrap: true },
    );
    return key;
  });
}

/**
 * The operator's way back in (`certctl-server admin-key reset`, run locally on the database): revokes
 * every admin key an earlier bootstrap or reset created, creates a new one and returns it once.
 * Keys made through the API and env keys are left alone.
 */
export async function resetBootstrapAdminKey(
  db: Executor,
  now: () => Date = () => new Date(),
): Promise<{ key: string; id: string; revokedIds: string[] }> {
  return db.transaction().execute(async (trx) => {
    const old = await trx
      .selectFrom('apiKeys')
      .select('id')
      .where('role', '=', 'admin')
      .where('createdBy', 'in', ['bootstrap', ADMIN_KEY_RESET])
      .where('revokedAt', 'is', null)
      .execute();
    const revokedIds = old.map((row) => row.id);
    if (revokedIds.length > 0)
      await trx.updateTable('apiKeys').set({ revokedAt: now() }).where('id', 'in', revokedIds).execute();
    // A reset counts as the bootstrap, so a later first-start path never mints a second key.
    await trx
      .insertInto('serverState')
      .values({ key: BOOTSTRAP_STATE, value: JSON.stringify(true) })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    const { key, row } = await insertApiKey(trx, { name: 'admin', role: 'admin', createdBy: ADMIN_KEY_RESET });
    await recordAudit(
      trx,
      { name: ADMIN_KEY_RESET, type: 'system', role: 'system' },
      'api_key_reset',
      { type: 'api_key', id: row.id },
      { name: 'admin', role: 'admin', revoked_ids: revokedIds },
    );
    return { key, id: row.id, revokedIds };
  });
}
