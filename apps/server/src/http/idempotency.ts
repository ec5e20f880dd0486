import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type Actor, principalOf } from '../shared/actor.js';
import type { ServiceDeps } from '../shared/service-deps.js';
import { ServiceError } from '../shared/service-errors.js';
import { toWire } from './wire-format.js';

const KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * A reservation whose request never finished (its server died mid-request) is given up after this
 * long, so a retry is not refused forever.
 */
export const ABANDONED_RESERVATION_MS = 120_000;

/** JSON with object keys sorted, so the same body hashes the same whatever the key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value) ?? 'null';
}

export interface IdempotentCall<T> {
  deps: Pick<ServiceDeps, 'db' | 'now'>;
  actor: Actor;
  request: FastifyRequest;
  reply: FastifyReply;
  /** Names the operation (keys are scoped to it and to the caller's principal). */
  operation: string;
  body: unknown;
  /** The status the operation answers on success. */
  status: number;
  run: () => Promise<T>;
}

/**
 * Runs a creating operation at most once per `Idempotency-Key` header (per caller): a retry with the
 * same key and body gets the first answer again (header `Idempotent-Replayed: true`), the same key
 * with another body is a 422, and a retry while the first is still running a 409. Without the
 * header the operation simply runs. A failed operation keeps no record, so it can be retried.
 */
export async function idempotent<T>(call: IdempotentCall<T>): Promise<T | FastifyReply> {
  const header = call.request.headers['idempotency-key'];
  if (header === undefined) return call.run();
  if (typeof header !== 'string' || !KEY.test(header))
    throw new ServiceError(400, 'bad_request', 'Idempotency-Key must be 1-255 visible ASCII characters');
  const { db } = call.deps;
  const principal = principalOf(call.actor);
  const requestHash = createHash('sha256').update(canonicalJson(call.body)).digest('hex');
  const where = { principal, operation: call.operation, key: header };
  const reserve = () =>
    db
      .insertInto('idempotencyKeys')
      .values({ ...where, requestHash, status: null, response: null })
      .onConflict((oc) => oc.columns(['principal', 'operation', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
  let reserved = await reserve();
  if (!reserved) {
    const row = await db
      .selectFrom('idempotencyKeys')
      .selectAll()
      .where('principal', '=', principal)
      .where('operation', '=', call.operation)
      .where('key', '=', header)
      .executeTakeFirst();
    if (row && row.requestHash !== requestHash)
      throw new ServiceError(
        422,
        'idempotency_key_reused',
        'this Idempotency-Key was already used with a different request body; send a new key for a new request',
      );
    if (row && row.status !== null) {
      call.reply.header('idempotent-replayed', 'true');
      return call.reply.code(row.status).send(row.response);
    }
    const abandoned = row && call.deps.now().getTime() - new Date(row.createdAt).getTime() > ABANDONED_RESERVATION_MS;
    if (row && !abandoned)
      throw new ServiceError(
        409,
        'idempotency_in_progress',
        'a request with this Idempotency-Key is still being processed; retry in a few seconds',
      );
    await db
      .deleteFrom('idempotencyKeys')
      .where('principal', '=', principal)
      .where('operation', '=', call.operation)
      .where('key', '=', header)
      .where('status', 'is', null)
      .execute();
    reserved = await reserve();
    if (!reserved)
      throw new ServiceError(
        409,
        'idempotency_in_progress',
        'a request with this Idempotency-Key is still being processed; retry in a few seconds',
      );
  }
  let result: T;
  try {
    result = await call.run();
  } catch (error) {
    await db
      .deleteFrom('idempotencyKeys')
      .where('principal', '=', principal)
      .where('operation', '=', call.operation)
      .where('key', '=', header)
      .execute();
    throw error;
  }
  await db
    .updateTable('idempotencyKeys')
    .set({ status: call.status, response: JSON.stringify(toWire(result)) })
    .where('principal', '=', principal)
    .where('operation', '=', call.operation)
    .where('key', '=', header)
    .execute();
  return result;
}
