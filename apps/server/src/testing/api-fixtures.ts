import { createCsr, generateKeyPair, type SubjectAltName } from '@certctl/pki';
import type { FastifyInstance } from 'fastify';
import { isIP } from 'node:net';
import { auth, KEYS } from './test-server.js';

type Json = Record<string, unknown>;

/** Calls the API like a client would (fastify inject: real routing, hooks, serialisation). */
export async function call(
  app: FastifyInstance,
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  url: string,
  body?: unknown,
  key: string = KEYS.admin,
) {
  const response = await app.inject({
    method,
    url,
    headers: { ...auth(key), ...(body !== undefined && { 'content-type': 'application/json' }) },
    payload: body === undefined ? undefined : JSON.stringify(body),
  });
  let json: Json | undefined;
  try {
    json = response.body ? (JSON.parse(response.body) as Json) : undefined;
  } catch {
    json = undefined;
  }
  return {
    status: response.statusCode,
    json: json as Json & { data?: Json[] },
    headers: response.headers,
    body: response.body,
    raw: response.rawPayload,
  };
}

export async function makeCsr(
  commonName: string,
  sans: string[] = [],
  algorithm: 'ecdsa-p256' | 'rsa-2048' = 'ecdsa-p256',
): Promise<string> {
  const keys = await generateKeyPair({ algorithm });
  const names: SubjectAltName[] = [commonName, ...sans].map((value) => ({ type: isIP(value) ? 'ip' : 'dns', value }));
  return (await createCsr({ keys, subject: { CN: commonName }, sans: names })).pem;
}

let counter = 0;
const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${(counter++).toString(36)}`;

export interface Basics {
  teamId: string;
  ownerId: string;
  policyId: string;
  issuerId: string;
}

/** A team, an owner, a renewal policy and a test-CA issuer, created through the API. */
export async function createBasics(app: FastifyInstance, policy: Json = {}): Promise<Basics> {
  const team = await call(app, 'POST', '/api/v1/teams', { name: unique('team') });
  const owner = await call(app, 'POST', '/api/v1/owners', {
    name: 'Ops',
    email: 'ops@example.com',
    team_id: team.json.id,
  });
  const renewal = await call(app, 'POST', '/api/v1/renewal-policies', {
    name: unique('policy'),
    renewal_window_days: 30,
    ...policy,
  });
  const issuer = await call(app, 'POST', '/api/v1/issuers', {
    name: unique('issuer'),
    type: 'test-ca',
    config: { label: 'x', api_token: 'super-secret-token-value' },
  });
  for (const r of [team, owner, renewal, issuer])
    if (r.status !== 201) throw new Error(`fixture failed: ${r.status} ${r.body}`);
  return {
    teamId: String(team.json.id),
    ownerId: String(owner.json.id),
    policyId: String(renewal.json.id),
    issuerId: String(issuer.json.id),
  };
}

export function certificateBody(basics: Basics, extra: Json = {}): Json {
  const name = unique('cert');
  return {
    name,
    common_name: `${name}.example.com`,
    sans: [`${name}.example.com`],
    owner_id: basics.ownerId,
    team_id: basics.teamId,
    issuer_id: basics.issuerId,
    renewal_policy_id: basics.policyId,
    ...extra,
  };
}
