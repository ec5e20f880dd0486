import type { ActorType, RoleName } from '../db/tables.js';

/** Who is acting: the API key's name (or `system` for the scheduler), recorded in every audit event. */
export interface Actor {
  name: string;
  type: ActorType;
  role: RoleName | 'system';
  /**
   * Stable id of who holds the key (`env-key:<name>`, `api-key:<id>`): what two-person approval
   * compares, since names are labels. Absent for system actors.
   */
  principalId?: string;
  /** Set when an agent acts with its own key. */
  agentId?: string;
  requestId?: string;
}

/** The principal an approval records: the key's stable id, or the actor's type and name for system actors. */
export const principalOf = (actor: Actor): string => actor.principalId ?? `${actor.type}:${actor.name}`;

export const SYSTEM_ACTOR: Actor = { name: 'system', type: 'system', role: 'system' };
