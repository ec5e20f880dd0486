import type { Actor } from '../../shared/actor.js';

/** ACME clients act as `acme:<account id>` in the audit trail, with operator rights on what they order. */
export function acmeActor(accountId: string, requestId?: string): Actor {
  return { name: `acme:${accountId}`, type: 'user', role: 'operator', ...(requestId && { requestId }) };
}
