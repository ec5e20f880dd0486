import type { Generated, Selectable } from 'kysely';
import type { CreatedAt, JsonWithDefault, UpdatedAt } from '../../db/column-types.js';

/**
 * A set of agents: those matching every criterion given (OS, architecture, hostname pattern,
 * labels), plus the ones included by hand, minus the ones excluded by hand.
 */
export interface AgentGroupsTable {
  id: string;
  name: string;
  description: Generated<string>;
  matchOs: string | null;
  matchArchitecture: string | null;
  /** `*` matches any run of characters: `web-*.example.net`. */
  matchHostname: string | null;
  /** Every label here must be on the agent with the same value. */
  matchLabels: JsonWithDefault<Record<string, string>>;
  enabled: Generated<boolean>;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export type GroupMembership = 'include' | 'exclude';

export interface AgentGroupMembersTable {
  groupId: string;
  agentId: string;
  membership: GroupMembership;
}

/** Operator-set labels of an agent (`tier: web`), matched by groups. */
export interface AgentLabelsTable {
  agentId: string;
  labels: JsonWithDefault<Record<string, string>>;
  updatedAt: UpdatedAt;
}

/** A target deployed by every member of a group instead of one agent. */
export interface TargetAgentGroupsTable {
  targetId: string;
  groupId: string;
}

/** A renewal policy whose certificates have their CSRs made by a member of a group. */
export interface RenewalPolicyAgentGroupsTable {
  renewalPolicyId: string;
  groupId: string;
}

export interface AgentGroupTables {
  agentGroups: AgentGroupsTable;
  agentGroupMembers: AgentGroupMembersTable;
  agentLabels: AgentLabelsTable;
  targetAgentGroups: TargetAgentGroupsTable;
  renewalPolicyAgentGroups: RenewalPolicyAgentGroupsTable;
}

export type AgentGroup = Selectable<AgentGroupsTable>;
