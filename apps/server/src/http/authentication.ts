import type { FastifyRequest } from 'fastify';
import type { Executor } from '../db/open-database.js';
import type { Actor } from '../shared/actor.js';
import { type ResolvedKey, resolveStoredKey } from '../shared/api-keys.js';
import { ServiceError } from '../shared/service-errors.js';
import type { RouteAccess } from './route-spec.js';
import { timingSafeEqual, createHash } from 'node:crypto';

export interface Authenticator {
  /** The actor behind the request's bearer key; throws 401/403 ServiceErrors. */
  authenticate(request: FastifyRequest, access: RouteAccess): Promise<Actor>;
}

const RANK = { viewer: 1, operator: 2, admin: 3 } as const;

function bearer(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1];
}

const digest = (s: string) => createHash('sha256').update(s).digest();

export function createAuthenticator(options: {
  db: Executor;
  envKeys: (presented: string) => ResolvedKey | undefined;
  agentBootstrapToken?: string;
}): Authenticator {
  const bootstrapDigest = options.agentBootstrapToken ? digest(options.agentBootstrapToken) : undefined;
  return {
    async authenticate(request, access) {
      const requestId = String(request.id);
      if (access === 'public') return { name: 'anonymous', type: 'user', role: 'viewer', requestId };
      const presented = bearer(request);
      if (!presented) throw new ServiceError(401, 'unauthorized', 'missing API key: send Authorization: Bearer <key>');
      if (access === 'agent-registration' && bootstrapDigest && timingSafeEqual(digest(presented), bootstrapDigest)) {
        return { name: 'agent-bootstrap', type: 'agent', role: 'agent', requestId };
      }
      const key = options.envKeys(presented) ?? (await resolveStoredKey(options.db, presented));
      if (!key) throw new ServiceError(401, 'unauthorized', 'invalid or revoked API key');
      const actor: Actor = {
        name: key.name,
        principalId: key.principalId,
        type: key.role === 'agent' ? 'agent' : 'user',
        role: key.role,
        agentId: key.agentId,
        requestId,
      };
      if (key.role === 'agent') {
        if (access === 'agent') return actor;
        throw new ServiceError(403, 'forbidden', 'agent keys may only call the agent endpoints');
      }
      const needed = access === 'agent' || access === 'agent-registration' ? 'operator' : access;
      if (RANK[key.role] < RANK[needed])
        throw new ServiceError(
          403,
          'forbidden',
          `this call needs the ${needed} role; the key "${key.name}" is ${key.role}`,
        );
      return actor;
    },
  };
}
