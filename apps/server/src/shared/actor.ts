import type { ActorType, RoleName } from '../db/tables.js';

/** Who is acting: the API key's name (or `system` for the scheduler), recorded in every audit event. */
export interface Actor {
  name: string;
  type: ActorType;
  role: RoleName | 'system';
  /** Set when an agent acts with its own key. */
  agentId?: string;
  requestId?: string;
}

export const SYSTEM_ACTOR: Actor = { name: 'system', type: 'system', role: 'system' };
