import { newId } from '../../db/ids.js';
import type { Executor } from '../../db/open-database.js';
import type { Agent } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { conflict, invalid, notFound } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import type { AgentGroup } from './agent-group-tables.js';

export interface AgentGroupInput {
  id?: string;
  name: string;
  description?: string;
  matchOs?: string | null;
  matchArchitecture?: string | null;
  matchHostname?: string | null;
  matchLabels?: Record<string, string>;
  includeAgentIds?: string[];
  excludeAgentIds?: string[];
  enabled?: boolean;
}

export interface AgentGroupView extends AgentGroup {
  includeAgentIds: string[];
  excludeAgentIds: string[];
}

export type GroupMember = Agent & { labels: Record<string, string>; membership: 'matched' | 'included' };

function hostnameMatches(hostname: string, pattern: string): boolean {
  const expression = pattern
    .toLowerCase()
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${expression}$`).test(hostname.toLowerCase());
}

/** Whether an agent meets every criterion the group sets; a group with no criterion matches nobody by itself. */
export function matchesCriteria(group: AgentGroup, agent: Agent, labels: Record<string, string>): boolean {
  const labelEntries = Object.entries(group.matchLabels ?? {});
  const hasCriteria =
    Boolean(group.matchOs || group.matchArchitecture || group.matchHostname) || labelEntries.length > 0;
  if (!hasCriteria) return false;
  if (group.matchOs && agent.os.toLowerCase() !== group.matchOs.toLowerCase()) return false;
  if (group.matchArchitecture && agent.architecture.toLowerCase() !== group.matchArchitecture.toLowerCase())
    return false;
  if (group.matchHostname && !hostnameMatches(agent.hostname, group.matchHostname)) return false;
  return labelEntries.every(([key, value]) => labels[key] === value);
}

async function viewOf(db: Executor, group: AgentGroup): Promise<AgentGroupView> {
  const members = await db
    .selectFrom('agentGroupMembers')
    .select(['agentId', 'membership'])
    .where('groupId', '=', group.id)
    .orderBy('agentId')
    .execute();
  return {
    ...group,
    includeAgentIds: members.filter((m) => m.membership === 'include').map((m) => m.agentId),
    excludeAgentIds: members.filter((m) => m.membership === 'exclude').map((m) => m.agentId),
  };
}

async function findGroup(db: Executor, id: string): Promise<AgentGroup> {
  const row = await db.selectFrom('agentGroups').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw notFound('agent group', id);
  return row;
}

export async function listAgentGroups(deps: ServiceDeps, page: PageRequest): Promise<PageResult<AgentGroupView>> {
  const [rows, count] = await Promise.all([
    deps.db.selectFrom('agentGroups').selectAll().orderBy('name').limit(page.perPage).offset(offsetOf(page)).execute(),
    deps.db
      .selectFrom('agentGroups')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .executeTakeFirstOrThrow(),
  ]);
  const data: AgentGroupView[] = [];
  for (const row of rows) data.push(await viewOf(deps.db, row));
  return { data, total: Number(count.n), ...page };
}

export async function getAgentGroup(deps: ServiceDeps, id: string): Promise<AgentGroupView> {
  return viewOf(deps.db, await findGroup(deps.db, id));
}

async function writeMembers(trx: Executor, groupId: string, input: Partial<AgentGroupInput>): Promise<void> {
  const include = input.includeAgentIds;
  const exclude = input.excludeAgentIds;
  if (include === undefined && exclude === undefined) return;
  const both = (include ?? []).filter((id) => (exclude ?? []).includes(id));
  if (both.length > 0) throw invalid(`agents cannot be both included and excluded: ${both.join(', ')}`);
  const wanted = [...(include ?? []), ...(exclude ?? [])];
  if (wanted.length > 0) {
    const known = await trx.selectFrom('agents').select('id').where('id', 'in', wanted).execute();
    const missing = wanted.filter((id) => !known.some((k) => k.id === id));
    if (missing.length > 0) throw invalid(`unknown agents: ${missing.join(', ')}`);
  }
  for (const [list, membership] of [
    [include, 'include'],
    [exclude, 'exclude'],
  ] as const) {
    if (list === undefined) continue;
    await trx
      .deleteFrom('agentGroupMembers')
      .where('groupId', '=', groupId)
      .where('membership', '=', membership)
      .execute();
    if (list.length > 0)
      await trx
        .insertInto('agentGroupMembers')
        .values(list.map((agentId) => ({ groupId, agentId, membership })))
        .onConflict((oc) => oc.columns(['groupId', 'agentId']).doUpdateSet({ membership }))
        .execute();
  }
}

function columns(input: Partial<AgentGroupInput>) {
  return {
    ...(input.name !== undefined && { name: input.name }),
    ...(input.description !== undefined && { description: input.description }),
    ...(input.matchOs !== undefined && { matchOs: input.matchOs }),
    ...(input.matchArchitecture !== undefined && { matchArchitecture: input.matchArchitecture }),
    ...(input.matchHostname !== undefined && { matchHostname: input.matchHostname }),
    ...(input.matchLabels !== undefined && { matchLabels: JSON.stringify(input.matchLabels) }),
    ...(input.enabled !== undefined && { enabled: input.enabled }),
  };
}

export function createAgentGroup(deps: ServiceDeps, actor: Actor, input: AgentGroupInput): Promise<AgentGroupView> {
  return inTransaction(deps, async (trx) => {
    const row = await trx
      .insertInto('agentGroups')
      .values({ id: input.id ?? newId('agentGroup'), name: input.name, ...columns(input) })
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeMembers(trx, row.id, input);
    await recordAudit(trx, actor, 'agent_group_created', { type: 'agent_group', id: row.id }, { name: row.name });
    return viewOf(trx, row);
  });
}

export function updateAgentGroup(
  deps: ServiceDeps,
  actor: Actor,
  id: string,
  input: Partial<AgentGroupInput>,
): Promise<AgentGroupView> {
  return inTransaction(deps, async (trx) => {
    await findGroup(trx, id);
    const row = await trx
      .updateTable('agentGroups')
      .set({ ...columns(input), updatedAt: deps.now() })
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await writeMembers(trx, id, input);
    await recordAudit(trx, actor, 'agent_group_updated', { type: 'agent_group', id }, { fields: Object.keys(input) });
    return viewOf(trx, row);
  });
}

export function deleteAgentGroup(deps: ServiceDeps, actor: Actor, id: string): Promise<void> {
  return inTransaction(deps, async (trx) => {
    await findGroup(trx, id);
    const targets = await trx.selectFrom('targetAgentGroups').select('targetId').where('groupId', '=', id).execute();
    if (targets.length > 0)
      throw conflict(`agent group ${id} still deploys ${targets.length} target(s); reassign them first`, {
        target_ids: targets.map((t) => t.targetId),
      });
    const policies = await trx
      .selectFrom('renewalPolicyAgentGroups')
      .select('renewalPolicyId')
      .where('groupId', '=', id)
      .execute();
    if (policies.length > 0)
      throw conflict(`agent group ${id} still renews for ${policies.length} renewal policy(ies); reassign them first`, {
        renewal_policy_ids: policies.map((p) => p.renewalPolicyId),
      });
    await trx.deleteFrom('agentGroups').where('id', '=', id).execute();
    await recordAudit(trx, actor, 'agent_group_deleted', { type: 'agent_group', id });
  });
}

/** The live (not retired) agents of a group: matched by its criteria or included, never excluded. A disabled group has none. */
export async function groupMembers(db: Executor, groupId: string): Promise<GroupMember[]> {
  const group = await findGroup(db, groupId);
  if (!group.enabled) return [];
  const [agents, labels, manual] = await Promise.all([
    db.selectFrom('agents').selectAll().where('retiredAt', 'is', null).orderBy('name').execute(),
    db.selectFrom('agentLabels').select(['agentId', 'labels']).execute(),
    db.selectFrom('agentGroupMembers').select(['agentId', 'membership']).where('groupId', '=', groupId).execute(),
  ]);
  const labelsOf = new Map(labels.map((l) => [l.agentId, l.labels]));
  const membershipOf = new Map(manual.map((m) => [m.agentId, m.membership]));
  const members: GroupMember[] = [];
  for (const agent of agents) {
    const manualMembership = membershipOf.get(agent.id);
    if (manualMembership === 'exclude') continue;
    const agentLabels = labelsOf.get(agent.id) ?? {};
    if (manualMembership === 'include') members.push({ ...agent, labels: agentLabels, membership: 'included' });
    else if (matchesCriteria(group, agent, agentLabels))
      members.push({ ...agent, labels: agentLabels, membership: 'matched' });
  }
  return members;
}

export async function listGroupMembers(
  deps: ServiceDeps,
  groupId: string,
  page: PageRequest,
): Promise<PageResult<GroupMember>> {
  const members = await groupMembers(deps.db, groupId);
  const start = offsetOf(page);
  return { data: members.slice(start, start + page.perPage), total: members.length, ...page };
}

export async function agentLabels(deps: ServiceDeps, agentId: string): Promise<Record<string, string>> {
  const agent = await deps.db.selectFrom('agents').select('id').where('id', '=', agentId).executeTakeFirst();
  if (!agent) throw notFound('agent', agentId);
  const row = await deps.db
    .selectFrom('agentLabels')
    .select('labels')
    .where('agentId', '=', agentId)
    .executeTakeFirst();
  return row?.labels ?? {};
}

/** Replaces an agent's labels (what groups match with `match_labels`). */
export function setAgentLabels(
  deps: ServiceDeps,
  actor: Actor,
  agentId: string,
  labels: Record<string, string>,
): Promise<Record<string, string>> {
  return inTransaction(deps, async (trx) => {
    const agent = await trx.selectFrom('agents').select('id').where('id', '=', agentId).executeTakeFirst();
    if (!agent) throw notFound('agent', agentId);
    await trx
      .insertInto('agentLabels')
      .values({ agentId, labels: JSON.stringify(labels) })
      .onConflict((oc) => oc.column('agentId').doUpdateSet({ labels: JSON.stringify(labels), updatedAt: deps.now() }))
      .execute();
    await recordAudit(trx, actor, 'agent_labels_set', { type: 'agent', id: agentId }, { labels });
    return labels;
  });
}

export async function targetGroup(deps: ServiceDeps, targetId: string): Promise<string | null> {
  const target = await deps.db.selectFrom('targets').select('id').where('id', '=', targetId).executeTakeFirst();
  if (!target) throw notFound('target', targetId);
  const row = await deps.db
    .selectFrom('targetAgentGroups')
    .select('groupId')
    .where('targetId', '=', targetId)
    .executeTakeFirst();
  return row?.groupId ?? null;
}

/** Addresses a target to a group (its members deploy it) or, with null, back to its own agent. */
export function setTargetGroup(
  deps: ServiceDeps,
  actor: Actor,
  targetId: string,
  groupId: string | null,
): Promise<string | null> {
  return inTransaction(deps, async (trx) => {
    const target = await trx.selectFrom('targets').select('id').where('id', '=', targetId).executeTakeFirst();
    if (!target) throw notFound('target', targetId);
    if (groupId === null) await trx.deleteFrom('targetAgentGroups').where('targetId', '=', targetId).execute();
    else {
      const group = await trx.selectFrom('agentGroups').select('id').where('id', '=', groupId).executeTakeFirst();
      if (!group) throw invalid(`agent group ${groupId} does not exist`);
      await trx
        .insertInto('targetAgentGroups')
        .values({ targetId, groupId })
        .onConflict((oc) => oc.column('targetId').doUpdateSet({ groupId }))
        .execute();
    }
    await recordAudit(
      trx,
      actor,
      'target_agent_group_set',
      { type: 'target', id: targetId },
      { agent_group_id: groupId },
    );
    return groupId;
  });
}

/** The agents that deploy a target: the members of its group when it has one, else its own agent. */
export async function deploymentAgents(
  db: Executor,
  target: { id: string; agentId: string | null },
): Promise<string[]> {
  const group = await db
    .selectFrom('targetAgentGroups')
    .select('groupId')
    .where('targetId', '=', target.id)
    .executeTakeFirst();
  if (!group) return target.agentId ? [target.agentId] : [];
  return (await groupMembers(db, group.groupId)).map((m) => m.id);
}

/** Which of these targets the agent serves through a group it belongs to. */
export async function targetsServedThroughGroups(
  db: Executor,
  agentId: string,
  targetIds: readonly string[],
): Promise<Set<string>> {
  if (targetIds.length === 0) return new Set();
  const grouped = await db
    .selectFrom('targetAgentGroups')
    .select(['targetId', 'groupId'])
    .where('targetId', 'in', targetIds)
    .execute();
  const served = new Set<string>();
  const membership = new Map<string, boolean>();
  for (const row of grouped) {
    if (!membership.has(row.groupId))
      membership.set(
        row.groupId,
        (await groupMembers(db, row.groupId)).some((m) => m.id === agentId),
      );
    if (membership.get(row.groupId)) served.add(row.targetId);
  }
  return served;
}

/** The agent group a renewal policy is addressed to, or null. */
export async function renewalPolicyGroup(deps: ServiceDeps, policyId: string): Promise<string | null> {
  const policy = await deps.db.selectFrom('renewalPolicies').select('id').where('id', '=', policyId).executeTakeFirst();
  if (!policy) throw notFound('renewal policy', policyId);
  const row = await deps.db
    .selectFrom('renewalPolicyAgentGroups')
    .select('groupId')
    .where('renewalPolicyId', '=', policyId)
    .executeTakeFirst();
  return row?.groupId ?? null;
}

/** Addresses a renewal policy to a group (a member makes each renewal's CSR) or, with null, back to each certificate's own agent. */
export function setRenewalPolicyGroup(
  deps: ServiceDeps,
  actor: Actor,
  policyId: string,
  groupId: string | null,
): Promise<string | null> {
  return inTransaction(deps, async (trx) => {
    const policy = await trx.selectFrom('renewalPolicies').select('id').where('id', '=', policyId).executeTakeFirst();
    if (!policy) throw notFound('renewal policy', policyId);
    if (groupId === null)
      await trx.deleteFrom('renewalPolicyAgentGroups').where('renewalPolicyId', '=', policyId).execute();
    else {
      const group = await trx.selectFrom('agentGroups').select('id').where('id', '=', groupId).executeTakeFirst();
      if (!group) throw invalid(`agent group ${groupId} does not exist`);
      await trx
        .insertInto('renewalPolicyAgentGroups')
        .values({ renewalPolicyId: policyId, groupId })
        .onConflict((oc) => oc.column('renewalPolicyId').doUpdateSet({ groupId }))
        .execute();
    }
    await recordAudit(
      trx,
      actor,
      'renewal_policy_agent_group_set',
      { type: 'renewalPolicy', id: policyId },
      { agent_group_id: groupId },
    );
    return groupId;
  });
}

/**
 * Who makes the CSR of a certificate's next issuance or renewal. Without a group on its renewal
 * policy: the certificate's own agent (or none: the server reuses the last CSR). With one: the
 * certificate's agent while it is a member; else the member that serves one of its targets (the
 * key must be where it is deployed); else the member heard from last. A group with no live
 * member is refused with the reason.
 */
export async function renewalAgent(
  db: Executor,
  certificate: { id: string; agentId: string | null; renewalPolicyId: string },
): Promise<{ agentId: string | null; groupId?: string }> {
  const addressed = await db
    .selectFrom('renewalPolicyAgentGroups')
    .select('groupId')
    .where('renewalPolicyId', '=', certificate.renewalPolicyId)
    .executeTakeFirst();
  if (!addressed) return { agentId: certificate.agentId };
  const members = await groupMembers(db, addressed.groupId);
  if (members.length === 0)
    throw conflict(
      `renewal policy ${certificate.renewalPolicyId} is addressed to agent group ${addressed.groupId}, which has no live member to make the CSR; add one or change the policy's group`,
      { agent_group_id: addressed.groupId },
    );
  const ids = new Set(members.map((m) => m.id));
  if (certificate.agentId && ids.has(certificate.agentId))
    return { agentId: certificate.agentId, groupId: addressed.groupId };
  const targets = await db
    .selectFrom('certificateTargets')
    .innerJoin('targets', 'targets.id', 'certificateTargets.targetId')
    .select(['targets.id', 'targets.agentId'])
    .where('certificateTargets.certificateId', '=', certificate.id)
    .where('targets.enabled', '=', true)
    .execute();
  for (const target of targets)
    for (const agentId of await deploymentAgents(db, target))
      if (ids.has(agentId)) return { agentId, groupId: addressed.groupId };
  const latest = [...members].sort(
    (a, b) => (b.lastHeartbeatAt?.getTime() ?? 0) - (a.lastHeartbeatAt?.getTime() ?? 0) || a.id.localeCompare(b.id),
  )[0]!;
  return { agentId: latest.id, groupId: addressed.groupId };
}
