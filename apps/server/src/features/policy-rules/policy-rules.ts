import { newId } from '../../db/ids.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { invalid, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import { RULE_CONFIG_SCHEMAS } from './policy-rule-configs.js';
import type {
  PolicyEnforcement,
  PolicyRule,
  PolicyRuleType,
  PolicySeverity,
  PolicyViolation,
  ViolationStatus,
} from './policy-rule-tables.js';

export interface PolicyRuleInput {
  id?: string;
  name: string;
  description?: string;
  type: PolicyRuleType;
  config?: Record<string, unknown>;
  severity?: PolicySeverity;
  enforcement?: PolicyEnforcement;
  enabled?: boolean;
}

/** A rule's config must fit its type's schema; the message names the field, never echoes values. */
function checkedConfig(type: PolicyRuleType, config: Record<string, unknown> | undefined): Record<string, unknown> {
  const parsed = RULE_CONFIG_SCHEMAS[type].safeParse(config ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw invalid(
      `config does not fit a ${type} rule: ${issue?.path.length ? `${issue.path.join('.')}: ` : ''}${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data as Record<string, unknown>;
}

export async function listPolicyRules(deps: ServiceDeps, page: PageRequest): Promise<PageResult<PolicyRule>> {
  const [data, count] = await Promise.all([
    deps.db.selectFrom('policyRules').selectAll().orderBy('name').limit(page.perPage).offset(offsetOf(page)).execute(),
    deps.db
      .selectFrom('policyRules')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}

export async function getPolicyRule(deps: Pick<ServiceDeps, 'db'>, id: string): Promise<PolicyRule> {
  const row = await deps.db.selectFrom('policyRules').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('policy', id);
  return row;
}

export function createPolicyRule(deps: ServiceDeps, actor: Actor, input: PolicyRuleInput): Promise<PolicyRule> {
  const config = checkedConfig(input.type, input.config);
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .insertInto('policyRules')
      .values({
        id: input.id ?? newId('policyRule'),
        name: input.name,
        type: input.type,
        config: JSON.stringify(config),
        ...(input.description !== undefined && { description: input.description }),
        ...(input.severity !== undefined && { severity: input.severity }),
        ...(input.enforcement !== undefined && { enforcement: input.enforcement }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(
      trx,
      actor,
      'policy_created',
      { type: 'policy', id: row.id },
      { name: row.name, type: row.type, severity: row.severity, enforcement: row.enforcement },
    );
    return row;
  });
}

export function updatePolicyRule(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  input: Partial<Omit<PolicyRuleInput, 'id' | 'type'>>,
): Promise<PolicyRule> {
  return inTransaction(deps, async (trx) => {
    const current = await trx.selectFrom('policyRules').selectAll().where('id', '=', id).forUpdate().executeTakeFirst();
    if (!current) throw notFound('policy', id);
    const config = input.config !== undefined ? checkedConfig(current.type, input.config) : undefined;
    const row = await trx
      .updateTable('policyRules')
      .set({
        ...(input.name !== undefined && { name: input.name }),
        ...(input.description !== undefined && { description: input.description }),
        ...(config !== undefined && { config: JSON.stringify(config) }),
        ...(input.severity !== undefined && { severity: input.severity }),
        ...(input.enforcement !== undefined && { enforcement: input.enforcement }),
        ...(input.enabled !== undefined && { enabled: input.enabled }),
        updatedAt: deps.now(),
      })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await recordAudit(trx, actor, 'policy_updated', { type: 'policy', id }, { fields: Object.keys(input) });
    return row;
  });
}

export function deletePolicyRule(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  return inTransaction(deps, async (trx) => {
    const result = await trx.deleteFrom('policyRules').where('id', '=', id).executeTakeFirst();
    if (Number(result.numDeletedRows) === 0) throw notFound('policy', id);
    await recordAudit(trx, actor, 'policy_deleted', { type: 'policy', id });
  });
}

export interface ViolationFilters {
  ruleId?: string;
  status?: ViolationStatus;
  certificateId?: string;
  severity?: PolicySeverity;
}

export async function listViolations(
  deps: ServiceDeps,
  filters: ViolationFilters,
  page: PageRequest,
): Promise<PageResult<PolicyViolation>> {
  if (filters.ruleId) await getPolicyRule(deps, filters.ruleId);
  let query = deps.db.selectFrom('policyViolations');
  if (filters.ruleId) query = query.where('ruleId', '=', filters.ruleId);
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.certificateId) query = query.where('certificateId', '=', filters.certificateId);
  if (filters.severity) query = query.where('severity', '=', filters.severity);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('lastSeenAt', 'desc').orderBy('id').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}
