import { newId } from '../../db/ids.js';
import type { Owner } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

export interface OwnerInput {
  id?: string;
  name: string;
  email: string;
  teamId?: string | null;
}

export async function listOwners(
  deps: ServiceDeps,
  filters: { teamId?: string },
  page: PageRequest,
): Promise<PageResult<Owner>> {
  let query = deps.db.selectFrom('owners');
  if (filters.teamId) query = query.where('teamId', '=', filters.teamId);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('name').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function getOwner(deps: ServiceDeps, id: string): Promise<Owner> {
  const row = await deps.db.selectFrom('owners').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('owner', id);
  return row;
}

export function createOwner(deps: ServiceDeps, actor: Actor, input: OwnerInput): Promise<Owner> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .insertInto('owners')
      .values({ id: input.id ?? newId('owner'), name: input.name, email: input.email, teamId: input.teamId ?? null })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'create_owner',
      { type: 'owner', id: row.id },
      { name: row.name, team_id: row.teamId },
    );
    return row;
  });
}

export function updateOwner(deps: ServiceDeps, actor: Actor, id: string, input: Partial<OwnerInput>): Promise<Owner> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .updateTable('owners')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.email !== undefined && { email: input.email }),
        ...(input.teamId !== undefined && { teamId: input.teamId }),
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('owner', id);
    await recordAudit(trx, actor, 'update_owner', { type: 'owner', id }, { fields: Object.keys(input) });
    return row;
  });
}

export function deleteOwner(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  return inTransaction(deps, async (trx) => {
    const result = await trx.deleteFrom('owners').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('owner', id);
    await recordAudit(trx, actor, 'delete_owner', { type: 'owner', id });
  });
}
