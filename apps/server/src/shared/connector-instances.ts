import { secretPaths } from '@certctl/core';
import { decryptSecrets, encryptSecrets, type InstanceKind, redactSecrets } from '../connectors/secret-config.js';
import { newId } from '../db/ids.js';
import type { Issuer } from '../db/tables.js';
import type { Actor } from './actor.js';
import { recordAudit } from './audit.js';
import {
  assertConfigReachable,
  assertNoRedactedPlaceholders,
  keepRedactedSecrets,
  unreachableConfigProblem,
  validateConnectorConfig,
} from './connector-config.js';
import { offsetOf, type PageRequest, type PageResult } from './pagination.js';
import type { ServiceDeps } from './service-deps.js';
import { invalid, notFound } from './service-errors.js';
import { inTransaction } from './transaction.js';

/**
 * Configured connector instances (issuers, notifiers, discovery sources): the same rows, secrets and lifecycle for
 * both kinds. Secret fields (per the connector's schema) are encrypted at rest and redacted in
 * every view; an update that sends `[redacted]` back keeps the stored secret.
 */

/** The issuers and notifiers tables have the same columns (Issuer stands for either row). */
type InstanceRow = Issuer;
const TABLES = { issuer: 'issuers', notifier: 'notifiers', discovery: 'discoverySources' } as const satisfies Record<
  InstanceKind,
  string
>;
const tableOf = (kind: InstanceKind) => TABLES[kind] as 'issuers';

/** An instance as the API shows it: secrets redacted, plus what its connector can do. */
export interface InstanceView extends Omit<InstanceRow, 'config'> {
  config: Record<string, unknown>;
  connectorStatus: 'available' | 'unavailable' | 'not_installed';
  capabilities?: Record<string, boolean>;
}

export interface InstanceInput {
  id?: string;
  name: string;
  type: string;
  config: Record<string, unknown>;
  enabled?: boolean;
}

export interface InstanceTestResult {
  ok: boolean;
  detail: string;
}

// Discovery sources' runtimes belong to their feature, which rebuilds one whenever its row's updated_at changes.
const runtimesOf = (deps: ServiceDeps, kind: InstanceKind) =>
  kind === 'issuer' ? deps.issuers : kind === 'notifier' ? deps.notifiers : undefined;

function view(deps: ServiceDeps, kind: InstanceKind, row: InstanceRow): InstanceView {
  const entry = deps.registry.list(kind).find((e) => e.id === row.type);
  // Without the schema secret fields cannot be told apart: show no config at all.
  if (!entry?.manifest) return { ...row, config: {}, connectorStatus: entry ? 'unavailable' : 'not_installed' };
  return {
    ...row,
    config: redactSecrets(entry.manifest.configSchema, row.config),
    connectorStatus: 'available',
    capabilities: entry.capabilities as unknown as Record<string, boolean>,
  };
}

export async function instanceRow(deps: Pick<ServiceDeps, 'db'>, kind: InstanceKind, id: string): Promise<InstanceRow> {
  const found = await deps.db.selectFrom(tableOf(kind)).selectAll().where('id', '=', id).executeTakeFirst();
  if (!found) throw notFound(kind, id);
  return found;
}

export async function listInstances(
  deps: ServiceDeps,
  kind: InstanceKind,
  page: PageRequest,
): Promise<PageResult<InstanceView>> {
  const table = tableOf(kind);
  const [rows, count] = await Promise.all([
    deps.db.selectFrom(table).selectAll().orderBy('name').limit(page.perPage).offset(offsetOf(page)).execute(),
    deps.db
      .selectFrom(table)
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { data: rows.map((r) => view(deps, kind, r)), total: Number(count.n), ...page };
}

export async function getInstance(deps: ServiceDeps, kind: InstanceKind, id: string): Promise<InstanceView> {
  return view(deps, kind, await instanceRow(deps, kind, id));
}

export async function createInstance(
  deps: ServiceDeps,
  actor: Actor,
  kind: InstanceKind,
  input: InstanceInput,
): Promise<InstanceView> {
  const schema = validateConnectorConfig(deps, kind, input.type, input.config);
  assertNoRedactedPlaceholders(secretPaths(schema), input.config);
  assertConfigReachable(deps, kind, input.type, input.config);
  const id = input.id ?? newId(kind);
  const created = await inTransaction(deps, async (trx) => {
    const inserted = await trx
      .insertInto(tableOf(kind))
      .values({
        id,
        name: input.name,
        type: input.type,
        config: JSON.stringify(encryptSecrets(schema, input.config, deps.cipher, id, kind)),
        enabled: input.enabled ?? true,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, `create_${kind}`, { type: kind, id }, { name: input.name, type: input.type });
    return inserted;
  });
  return view(deps, kind, created);
}

export async function updateInstance(
  deps: ServiceDeps,
  actor: Actor,
  kind: InstanceKind,
  id: string,
  input: Partial<Omit<InstanceInput, 'id' | 'type'>>,
): Promise<InstanceView> {
  const existing = await instanceRow(deps, kind, id);
  let storedConfig: string | undefined;
  if (input.config !== undefined) {
    if (!deps.registry.has(kind, existing.type))
      throw invalid(`the ${existing.type} ${kind} connector is not installed; its config cannot be validated`);
    const schema = deps.registry.get(kind, existing.type).configSchema;
    const previous = decryptSecrets(schema, existing.config, deps.cipher, id, kind);
    const merged = keepRedactedSecrets(secretPaths(schema), input.config, previous);
    validateConnectorConfig(deps, kind, existing.type, merged);
    assertNoRedactedPlaceholders(secretPaths(schema), merged);
    assertConfigReachable(deps, kind, existing.type, merged);
    storedConfig = JSON.stringify(encryptSecrets(schema, merged, deps.cipher, id, kind));
  }
  const updated = await inTransaction(deps, async (trx) => {
    const next = await trx
      .updateTable(tableOf(kind))
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        ...(storedConfig !== undefined && {
          config: storedConfig,
          source: 'database' as const,
          testStatus: 'untested' as const,
        }),
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, `update_${kind}`, { type: kind, id }, { fields: Object.keys(input) });
    return next;
  });
  await runtimesOf(deps, kind)?.invalidate(id);
  return view(deps, kind, updated);
}

export async function deleteInstance(deps: ServiceDeps, actor: Actor, kind: InstanceKind, id: string): Promise<void> {
  await inTransaction(deps, async (trx) => {
    const result = await trx.deleteFrom(tableOf(kind)).where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound(kind, id);
    await recordAudit(trx, actor, `delete_${kind}`, { type: kind, id });
  });
  await runtimesOf(deps, kind)?.invalidate(id);
}

/** Runs `probe` (the kind's own reachability check) and records its outcome on the row. */
export async function testInstance(
  deps: ServiceDeps,
  actor: Actor,
  kind: InstanceKind,
  id: string,
  probe: () => Promise<string>,
): Promise<InstanceTestResult> {
  const row = await instanceRow(deps, kind, id);
  let result: InstanceTestResult;
  try {
    const problem = deps.registry.has(kind, row.type)
      ? await unreachableConfigProblem(
          deps,
          kind,
          row.type,
          decryptSecrets(deps.registry.get(kind, row.type).configSchema, row.config, deps.cipher, id, kind),
        )
      : undefined;
    result = problem ? { ok: false, detail: problem } : { ok: true, detail: await probe() };
  } catch (error) {
    result = { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
  await inTransaction(deps, async (trx) => {
    await trx
      .updateTable(tableOf(kind))
      .set({ testStatus: result.ok ? 'ok' : 'failed', testDetail: result.detail, lastTestedAt: deps.now() })
      .where('id', '=', id)
      .execute();
    await recordAudit(trx, actor, `test_${kind}`, { type: kind, id }, { ok: result.ok });
  });
  return result;
}

/** The installed connectors of a kind, with their config JSON Schema for forms. */
export function listInstanceTypes(deps: ServiceDeps, kind: InstanceKind) {
  return deps.registry.list(kind).map((entry) => ({
    id: entry.id,
    status: entry.status,
    displayName: entry.displayName,
    version: entry.version,
    packageName: entry.packageName,
    error: entry.error,
    capabilities: entry.capabilities,
    configSchema: entry.status === 'available' ? deps.registry.configJsonSchema(kind, entry.id) : undefined,
  }));
}
