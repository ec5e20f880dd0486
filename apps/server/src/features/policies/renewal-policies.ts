import { newId } from '../../db/ids.js';
import type { RenewalPolicy } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { normaliseAlertRouting } from '../notifications/alert-routing.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';

export interface RenewalPolicyInput {
  id?: string;
  name: string;
  renewalWindowDays?: number;
  autoRenew?: boolean;
  maxRetries?: number;
  retryIntervalSeconds?: number;
  alertThresholdsDays?: number[];
  alertChannels?: Partial<Record<string, string[]>>;
  alertSeverityMap?: Record<string, string>;
}

export async function listRenewalPolicies(deps: ServiceDeps, page: PageRequest): Promise<PageResult<RenewalPolicy>> {
  const [data, count] = await Promise.all([
    deps.db
      .selectFrom('renewalPolicies')
      .selectAll()
      .orderBy('name')
      .limit(page.perPage)
      .offset(offsetOf(page))
      .execute(),
    deps.db
      .selectFrom('renewalPolicies')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function getRenewalPolicy(deps: ServiceDeps, id: string): Promise<RenewalPolicy> {
  const row = await deps.db.selectFrom('renewalPolicies').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('renewal policy', id);
  return row;
}

function columns(input: Partial<RenewalPolicyInput>) {
  return {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.renewalWindowDays !== undefined && { renewalWindowDays: input.renewalWindowDays }),
    ...(input.autoRenew !== undefined && { autoRenew: input.autoRenew }),
    ...(input.maxRetries !== undefined && { maxRetries: input.maxRetries }),
    ...(input.retryIntervalSeconds !== undefined && { retryIntervalSeconds: input.retryIntervalSeconds }),
    ...(input.alertThresholdsDays !== undefined && { alertThresholdsDays: JSON.stringify(input.alertThresholdsDays) }),
    ...(input.alertChannels !== undefined && { alertChannels: JSON.stringify(input.alertChannels) }),
    ...(input.alertSeverityMap !== undefined && { alertSeverityMap: JSON.stringify(input.alertSeverityMap) }),
  };
}

export function createRenewalPolicy(deps: ServiceDeps, actor: Actor, raw: RenewalPolicyInput): Promise<RenewalPolicy> {
  const input = normaliseAlertRouting(deps, raw);
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .insertInto('renewalPolicies')
      .values({ id: input.id ?? newId('renewalPolicy'), name: input.name, ...columns(input) })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, 'create_renewal_policy', { type: 'renewal_policy', id: row.id }, { name: row.name });
    return row;
  });
}

export function updateRenewalPolicy(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  raw: Partial<RenewalPolicyInput>,
): Promise<RenewalPolicy> {
  const input = normaliseAlertRouting(deps, raw);
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .updateTable('renewalPolicies')
      .set({ ...columns(input), updatedAt: deps.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirst();
    if (!row) throw notFound('renewal policy', id);
    await recordAudit(
      trx,
      actor,
      'update_renewal_policy',
      { type: 'renewal_policy', id },
      { fields: Object.keys(input) },
    );
    return row;
  });
}

export function deleteRenewalPolicy(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  return inTransaction(deps, async (trx) => {
    const result = await trx.deleteFrom('renewalPolicies').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('renewal policy', id);
    await recordAudit(trx, actor, 'delete_renewal_policy', { type: 'renewal_policy', id });
  });
}
