import { newId } from '../db/ids.js';
import type { Target } from '../db/tables.js';
import type { Actor } from './actor.js';
import { recordAudit } from './audit.js';
import { offsetOf, type PageRequest, type PageResult } from './pagination.js';
import type { ServiceDeps } from './service-deps.js';
import { notFound } from './service-errors.js';
import { inTransaction } from './transaction.js';

export interface TargetInput {
  id?: string;
  name: string;
  type: string;
  agentId?: string | null;
  config?: Record<string, unknown>;
  enabled?: boolean;
}

export async function listTargets(deps: ServiceDeps, filters: { agentId?: string }, page: PageRequest): Promise<PageResult<Target>> {
  let query = deps.db.selectFrom('targets');
  if (filters.agentId) query = query.where('agentId', '=', filters.agentId);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('name').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function getTarget(deps: ServiceDeps, id: string): Promise<Target> {
  const row = await deps.db.selectFrom('targets').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('target', id);
  return row;
}

export function createTarget(deps: ServiceDeps, actor: Actor, input: TargetInput): Promise<Target> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .insertInto('targets')
      .values({ id: input.id ?? newId('target'), name: input.name, type: input.type, agentId: input.agentId ?? null, config: JSON.stringify(input.config ?? {}), enabled: input.enabled ?? true })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, 'create_target', { type: 'target', id: row.id }, { name: row.name, type: row.type, agent_id: row.agentId });
    return row;
  });
}

export function updateTarget(deps: ServiceDeps, actor: Actor, id: string, input: Partial<Omit<TargetInput, 'id'>>): Promise<Target> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .updateTable('targets')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.type !== undefined && { type: input.type }),
        ...(input.agentId !== undefined && { agentId: input.agentId }),
        ...(input.config !== undefined && { config: JSON.stringify(input.config) }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('target', id);
    await recordAudit(trx, actor, 'update_target', { type: 'target', id }, { fields: Object.keys(input) });
    return row;
  });
}

export function deleteTarget(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  return inTransaction(deps, async (trx) => {
    const result = await trx.deleteFrom('targets').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('target', id);
    await recordAudit(trx, actor, 'delete_target', { type: 'target', id });
  });
}
