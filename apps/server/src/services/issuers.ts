import { secretPaths } from '@certctl/core';
import { decryptSecrets, encryptSecrets, redactSecrets } from '../connectors/secret-config.js';
import { newId } from '../db/ids.js';
import type { Issuer } from '../db/tables.js';
import type { Actor } from './actor.js';
import { recordAudit } from './audit.js';
import { keepRedactedSecrets, validateConnectorConfig } from './connector-config.js';
import { offsetOf, type PageRequest, type PageResult } from './pagination.js';
import type { ServiceDeps } from './service-deps.js';
import { invalid, notFound, ServiceError } from './service-errors.js';
import { inTransaction } from './transaction.js';

/** An issuer as the API shows it: secrets redacted, plus what its connector can do. */
export interface IssuerView extends Omit<Issuer, 'config'> {
  config: Record<string, unknown>;
  connectorStatus: 'available' | 'unavailable' | 'not_installed';
  capabilities?: Record<string, boolean>;
}

export interface IssuerInput {
  id?: string;
  name: string;
  type: string;
  config: Record<string, unknown>;
  enabled?: boolean;
}

function view(deps: ServiceDeps, row: Issuer): IssuerView {
  const entry = deps.registry.list('issuer').find((e) => e.id === row.type);
  if (!entry?.manifest) {
    // Without the schema we cannot tell secret fields apart: show no config at all.
    return { ...row, config: {}, connectorStatus: entry ? 'unavailable' : 'not_installed' };
  }
  return {
    ...row,
    config: redactSecrets(entry.manifest.configSchema, row.config),
    connectorStatus: 'available',
    capabilities: entry.capabilities as unknown as Record<string, boolean>,
  };
}

function validate(deps: ServiceDeps, type: string, config: unknown) {
  return validateConnectorConfig(deps, 'issuer', type, config);
}

export async function listIssuers(deps: ServiceDeps, page: PageRequest): Promise<PageResult<IssuerView>> {
  const [rows, count] = await Promise.all([
    deps.db.selectFrom('issuers').selectAll().orderBy('name').limit(page.perPage).offset(offsetOf(page)).execute(),
    deps.db.selectFrom('issuers').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data: rows.map((r) => view(deps, r)), total: Number(count.n), ...page };
}

async function row(deps: ServiceDeps, id: string): Promise<Issuer> {
  const found = await deps.db.selectFrom('issuers').selectAll().where('id', '=', id).executeTakeFirst();
  if (!found) throw notFound('issuer', id);
  return found;
}

export async function getIssuer(deps: ServiceDeps, id: string): Promise<IssuerView> {
  return view(deps, await row(deps, id));
}

export async function createIssuer(deps: ServiceDeps, actor: Actor, input: IssuerInput): Promise<IssuerView> {
  const schema = validate(deps, input.type, input.config);
  const id = input.id ?? newId('issuer');
  const created = await inTransaction(deps, async (trx) => {
    const inserted = await trx
      .insertInto('issuers')
      .values({ id, name: input.name, type: input.type, config: JSON.stringify(encryptSecrets(schema, input.config, deps.cipher, id)), enabled: input.enabled ?? true })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, 'create_issuer', { type: 'issuer', id }, { name: input.name, type: input.type });
    return inserted;
  });
  return view(deps, created);
}

export async function updateIssuer(deps: ServiceDeps, actor: Actor, id: string, input: Partial<Omit<IssuerInput, 'id' | 'type'>>): Promise<IssuerView> {
  const existing = await row(deps, id);
  let storedConfig: string | undefined;
  if (input.config !== undefined) {
    const schema = deps.registry.has('issuer', existing.type) ? deps.registry.get('issuer', existing.type).configSchema : undefined;
    if (!schema) throw invalid(`the ${existing.type} connector is not installed; its config cannot be validated`);
    const previous = decryptSecrets(schema, existing.config, deps.cipher, id);
    const merged = keepRedactedSecrets(secretPaths(schema), input.config, previous);
    validate(deps, existing.type, merged);
    storedConfig = JSON.stringify(encryptSecrets(schema, merged, deps.cipher, id));
  }
  const updated = await inTransaction(deps, async (trx) => {
    const next = await trx
      .updateTable('issuers')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        ...(storedConfig !== undefined && { config: storedConfig, source: 'database' as const, testStatus: 'untested' as const }),
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, 'update_issuer', { type: 'issuer', id }, { fields: Object.keys(input) });
    return next;
  });
  await deps.issuers.invalidate(id);
  return view(deps, updated);
}

export async function deleteIssuer(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  await inTransaction(deps, async (trx) => {
    const result = await trx.deleteFrom('issuers').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('issuer', id);
    await recordAudit(trx, actor, 'delete_issuer', { type: 'issuer', id });
  });
  await deps.issuers.invalidate(id);
}

export interface IssuerTestResult {
  ok: boolean;
  detail: string;
}

/** Instantiates the issuer and asks it to prove it can reach its CA (testConnection, else caChain, else init). */
export async function testIssuer(deps: ServiceDeps, actor: Actor, id: string): Promise<IssuerTestResult> {
  await row(deps, id);
  let result: IssuerTestResult;
  try {
    const runtime = await deps.issuers.get(id);
    if (await runtime.supports('testConnection')) result = { ok: true, detail: (await runtime.testConnection()).detail };
    else if (await runtime.supports('caChain')) result = { ok: true, detail: `CA chain of ${(await runtime.caChain()).length} certificate(s) available` };
    else result = { ok: true, detail: 'connector initialised' };
  } catch (error) {
    result = { ok: false, detail: error instanceof Error ? error.message : String(error) };
  }
  await inTransaction(deps, async (trx) => {
    await trx
      .updateTable('issuers')
      .set({ testStatus: result.ok ? 'ok' : 'failed', testDetail: result.detail, lastTestedAt: deps.now() })
      .where('id', '=', id)
      .execute();
    await recordAudit(trx, actor, 'test_issuer', { type: 'issuer', id }, { ok: result.ok });
  });
  return result;
}

/** The issuing CA's chain (issuing CA first), PEM, for relying parties and `openssl verify`. */
export async function issuerCaChain(deps: ServiceDeps, id: string): Promise<string[]> {
  await row(deps, id);
  const runtime = await deps.issuers.get(id);
  if (!(await runtime.supports('caChain'))) throw new ServiceError(404, 'not_supported', `issuer ${id} does not publish its CA chain`);
  return runtime.caChain();
}

export function listIssuerTypes(deps: ServiceDeps) {
  return deps.registry.list('issuer').map((entry) => ({
    id: entry.id,
    status: entry.status,
    displayName: entry.displayName,
    version: entry.version,
    packageName: entry.packageName,
    error: entry.error,
    capabilities: entry.capabilities,
    configSchema: entry.status === 'available' ? deps.registry.configJsonSchema('issuer', entry.id) : undefined,
  }));
}
