import { secretPaths } from '@certctl/core';
import { decryptSecrets, encryptSecrets, redactSecrets } from '../connectors/secret-config.js';
import { newId } from '../db/ids.js';
import type { Notifier } from '../db/tables.js';
import type { Actor } from './actor.js';
import { recordAudit } from './audit.js';
import { keepRedactedSecrets, validateConnectorConfig } from './connector-config.js';
import { offsetOf, type PageRequest, type PageResult } from './pagination.js';
import type { ServiceDeps } from './service-deps.js';
import { invalid, notFound } from './service-errors.js';
import { inTransaction } from './transaction.js';

/** A notifier instance as the API shows it: secrets redacted, plus what its connector can do. */
export interface NotifierView extends Omit<Notifier, 'config'> {
  config: Record<string, unknown>;
  connectorStatus: 'available' | 'unavailable' | 'not_installed';
  capabilities?: Record<string, boolean>;
}

export interface NotifierInput {
  id?: string;
  name: string;
  type: string;
  config: Record<string, unknown>;
  enabled?: boolean;
}

function view(deps: ServiceDeps, row: Notifier): NotifierView {
  const entry = deps.registry.list('notifier').find((e) => e.id === row.type);
  if (!entry?.manifest) return { ...row, config: {}, connectorStatus: entry ? 'unavailable' : 'not_installed' };
  return { ...row, config: redactSecrets(entry.manifest.configSchema, row.config), connectorStatus: 'available', capabilities: entry.capabilities as unknown as Record<string, boolean> };
}

async function row(deps: ServiceDeps, id: string): Promise<Notifier> {
  const found = await deps.db.selectFrom('notifiers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!found) throw notFound('notifier', id);
  return found;
}

export async function listNotifiers(deps: ServiceDeps, page: PageRequest): Promise<PageResult<NotifierView>> {
  const [rows, count] = await Promise.all([
    deps.db.selectFrom('notifiers').selectAll().orderBy('name').limit(page.perPage).offset(offsetOf(page)).execute(),
    deps.db.selectFrom('notifiers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data: rows.map((r) => view(deps, r)), total: Number(count.n), ...page };
}

export async function getNotifier(deps: ServiceDeps, id: string): Promise<NotifierView> {
  return view(deps, await row(deps, id));
}

export async function createNotifier(deps: ServiceDeps, actor: Actor, input: NotifierInput): Promise<NotifierView> {
  const schema = validateConnectorConfig(deps, 'notifier', input.type, input.config);
  const id = input.id ?? newId('notifier');
  const created = await inTransaction(deps, async (trx) => {
    const inserted = await trx
      .insertInto('notifiers')
      .values({ id, name: input.name, type: input.type, config: JSON.stringify(encryptSecrets(schema, input.config, deps.cipher, id, 'notifier')), enabled: input.enabled ?? true })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, 'create_notifier', { type: 'notifier', id }, { name: input.name, type: input.type });
    return inserted;
  });
  return view(deps, created);
}

export async function updateNotifier(deps: ServiceDeps, actor: Actor, id: string, input: Partial<Omit<NotifierInput, 'id' | 'type'>>): Promise<NotifierView> {
  const existing = await row(deps, id);
  let storedConfig: string | undefined;
  if (input.config !== undefined) {
    if (!deps.registry.has('notifier', existing.type)) throw invalid(`the ${existing.type} notifier connector is not installed; its config cannot be validated`);
    const schema = deps.registry.get('notifier', existing.type).configSchema;
    const previous = decryptSecrets(schema, existing.config, deps.cipher, id, 'notifier');
    const merged = keepRedactedSecrets(secretPaths(schema), input.config, previous);
    validateConnectorConfig(deps, 'notifier', existing.type, merged);
    storedConfig = JSON.stringify(encryptSecrets(schema, merged, deps.cipher, id, 'notifier'));
  }
  const updated = await inTransaction(deps, async (trx) => {
    const next = await trx
      .updateTable('notifiers')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        ...(storedConfig !== undefined && { config: storedConfig, source: 'database' as const, testStatus: 'untested' as const }),
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, 'update_notifier', { type: 'notifier', id }, { fields: Object.keys(input) });
    return next;
  });
  await deps.notifiers.invalidate(id);
  return view(deps, updated);
}

export async function deleteNotifier(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  await inTransaction(deps, async (trx) => {
    const result = await trx.deleteFrom('notifiers').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('notifier', id);
    await recordAudit(trx, actor, 'delete_notifier', { type: 'notifier', id });
  });
  await deps.notifiers.invalidate(id);
}

/** Asks the notifier to prove it can reach its service (testConnection when it has one, else initialisation). */
export async function testNotifier(deps: ServiceDeps, actor: Actor, id: string): Promise<{ ok: boolean; detail: string }> {
  await row(deps, id);
  let result: { ok: boolean; detail: string };
  try {
    const runtime = await deps.notifiers.get(id);
    result = (await runtime.supports('testConnection')) ? { ok: true, detail: (await runtime.testConnection()).detail } : (await runtime.init(), { ok: true, detail: 'connector initialised' });
  } catch (error) {
    result = { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
  await inTransaction(deps, async (trx) => {
    await trx.updateTable('notifiers').set({ testStatus: result.ok ? 'ok' : 'failed', testDetail: result.detail, lastTestedAt: deps.now() }).where('id', '=', id).execute();
    await recordAudit(trx, actor, 'test_notifier', { type: 'notifier', id }, { ok: result.ok });
  });
  return result;
}

export function listNotifierTypes(deps: ServiceDeps) {
  return deps.registry.list('notifier').map((entry) => ({
    id: entry.id,
    status: entry.status,
    displayName: entry.displayName,
    version: entry.version,
    packageName: entry.packageName,
    error: entry.error,
    capabilities: entry.capabilities,
    configSchema: entry.status === 'available' ? deps.registry.configJsonSchema('notifier', entry.id) : undefined,
  }));
}
