import { newId } from '../../db/ids.js';
import type { Team } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

export interface TeamInput {
  id?: string;
  name: string;
  description?: string;
}

export async function listTeams(deps: ServiceDeps, page: PageRequest): Promise<PageResult<Team>> {
  const [data, count] = await Promise.all([
    deps.db.selectFrom('teams').selectAll().orderBy('name').limit(page.perPage).offset(offsetOf(page)).execute(),
    deps.db
      .selectFrom('teams')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function getTeam(deps: ServiceDeps, id: string): Promise<Team> {
  const row = await deps.db.selectFrom('teams').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('team', id);
  return row;
}

export function createTeam(deps: ServiceDeps, actor: Actor, input: TeamInput): Promise<Team> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .insertInto('teams')
      .values({ id: input.id ?? newId('team'), name: input.name, description: input.description ?? '' })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, 'create_team', { type: 'team', id: row.id }, { name: row.name });
    return row;
  });
}

export function updateTeam(deps: ServiceDeps, actor: Actor, id: string, input: Partial<TeamInput>): Promise<Team> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .updateTable('teams')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.description !== undefined && { description: input.description }),
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('team', id);
    await recordAudit(trx, actor, 'update_team', { type: 'team', id }, { fields: Object.keys(input) });
    return row;
  });
}

export function deleteTeam(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  return inTransaction(deps, async (trx) => {
    const result = await trx.deleteFrom('teams').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('team', id);
    await recordAudit(trx, actor, 'delete_team', { type: 'team', id });
  });
}
