import type { Generated, Selectable } from 'kysely';
import type { CreatedAt, Json, Timestamp, UpdatedAt } from '../../db/column-types.js';

/** One HTTP-01 token of an order, with the key authorization the agent writes for it. */
export interface Http01Token {
  identifier: string;
  token: string;
  key_authorization: string;
}

/**
 * `pending`: the agent is to write the files; `served`: it wrote them and said so; `failed`: it
 * could not (its error says why); `closed`: the order finished (or the job ended), the agent
 * removes the files.
 */
export type AgentHttp01Status = 'pending' | 'served' | 'failed' | 'closed';

/**
 * HTTP-01 challenges of an ACME order whose issuer has `http_served_by: agent`: one row per agent
 * that serves the certificate's targets, created when the CA order comes back pending.
 */
export interface AgentHttp01ChallengesTable {
  id: string;
  jobId: string;
  agentId: string;
  certificateId: string;
  orderId: string;
  tokens: Json<Http01Token[]>;
  status: Generated<AgentHttp01Status>;
  error: string | null;
  /** The agent must have served by then; the job fails after it. */
  expiresAt: Timestamp;
  servedAt: Timestamp | null;
  closedAt: Timestamp | null;
  createdAt: CreatedAt;
  updatedAt: UpdatedAt;
}

export interface AgentHttp01Tables {
  agentHttp01Challenges: AgentHttp01ChallengesTable;
}

export type AgentHttp01Challenge = Selectable<AgentHttp01ChallengesTable>;
