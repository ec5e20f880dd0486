import type { Selectable } from 'kysely';
import type { CreatedAt, JsonWithDefault } from '../../db/column-types.js';

/** Why, by whom and with what cascade an agent was retired (the agents row keeps `retired_at`). */
export interface AgentRetirementsTable {
  agentId: string;
  reason: string;
  retiredBy: string;
  forced: boolean;
  /** What a forced retirement took down with it: target ids disabled, job ids cancelled. */
  cascade: JsonWithDefault<{ target_ids: string[]; job_ids: string[] }>;
  retiredAt: CreatedAt;
}

export interface AgentRetirementTables {
  agentRetirements: AgentRetirementsTable;
}

export type AgentRetirement = Selectable<AgentRetirementsTable>;
