import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Executor } from '../../db/open-database.js';
import type { JobStatus } from '../../db/tables.js';
import type { Actor } from '../../shared/actor.js';
import { recordAudit } from '../../shared/audit.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';
import { invalid, notFound, ServiceError } from '../../shared/service-errors.js';
import { inTransaction } from '../../shared/transaction.js';
import { updateCertificate } from '../certificates/certificates.js';
import { parseReason, revokeCertificate } from '../certificates/revocation.js';
import { renewNow } from '../issuance/issuance-requests.js';
import type {
  BulkItemStatus,
  BulkKind,
  BulkOperation,
  BulkOperationItem,
  BulkStatus,
} from './bulk-operation-tables.js';

/** Which certificates a bulk operation acts on; the criteria combine (AND). Archived certificates never match. */
export interface BulkCriteria {
  certificateIds?: string[];
  ownerId?: string;
  teamId?: string;
  issuerId?: string;
  profileId?: string;
  agentId?: string;
  environment?: string;
  status?: string;
}

/** What a reassignment sets on every matched certificate. */
export interface ReassignChanges {
  ownerId?: string;
  teamId?: string;
  renewalPolicyId?: string;
  profileId?: string | null;
}

export interface BulkRequest {
  criteria: BulkCriteria;
  reason?: string;
  changes?: ReassignChanges;
  idempotencyKey?: string;
}

/** How long a repeated request returns the operation it already started instead of starting another. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** An item claimed by a replica that died is taken up again after this long. */
const ITEM_LEASE_MS = 5 * 60 * 1000;

const AUDIT_STARTED: Record<BulkKind, string> = {
  revoke: 'bulk_revocation_initiated',
  renew: 'bulk_renewal_initiated',
  reassign: 'bulk_reassignment_initiated',
};

const CRITERIA_KEYS = [
  'certificateIds',
  'ownerId',
  'teamId',
  'issuerId',
  'profileId',
  'agentId',
  'environment',
  'status',
] as const;

function hasCriterion(criteria: BulkCriteria): boolean {
  return CRITERIA_KEYS.some((key) => {
    const value = criteria[key];
    return Array.isArray(value) ? value.length > 0 : value !== undefined && value !== '';
  });
}

/** Sorted keys, so the same request hashes the same whatever the order of its fields. */
function canonical(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, canonical(v)]),
    );
  return value;
}

async function mustExist(
  db: Executor,
  table: 'owners' | 'teams' | 'renewalPolicies' | 'certificateProfiles',
  field: string,
  id: string | null | undefined,
): Promise<void> {
  if (!id) return;
  const row = await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
  if (!row) throw invalid(`${field}: ${id} does not exist`);
}

async function checkRequest(deps: ServiceDeps, kind: BulkKind, request: BulkRequest): Promise<void> {
  if (!hasCriterion(request.criteria))
    throw invalid(
      'a bulk operation needs at least one criterion (certificate_ids, owner_id, team_id, issuer_id, profile_id, agent_id, environment, status)',
    );
  if (kind === 'revoke') parseReason(request.reason);
  if (kind === 'reassign') {
    const changes = request.changes ?? {};
    if (Object.values(changes).every((v) => v === undefined))
      throw invalid('bulk reassign needs at least one of owner_id, team_id, renewal_policy_id, profile_id');
    await mustExist(deps.db, 'owners', 'owner_id', changes.ownerId);
    await mustExist(deps.db, 'teams', 'team_id', changes.teamId);
    await mustExist(deps.db, 'renewalPolicies', 'renewal_policy_id', changes.renewalPolicyId);
    await mustExist(deps.db, 'certificateProfiles', 'profile_id', changes.profileId);
  }
}

async function matchingCertificates(db: Executor, criteria: BulkCriteria): Promise<string[]> {
  let query = db.selectFrom('certificates').select('id').where('status', '!=', 'archived');
  if (criteria.certificateIds?.length) query = query.where('id', 'in', criteria.certificateIds);
  if (criteria.ownerId) query = query.where('ownerId', '=', criteria.ownerId);
  if (criteria.teamId) query = query.where('teamId', '=', criteria.teamId);
  if (criteria.issuerId) query = query.where('issuerId', '=', criteria.issuerId);
  if (criteria.profileId) query = query.where('profileId', '=', criteria.profileId);
  if (criteria.agentId) query = query.where('agentId', '=', criteria.agentId);
  if (criteria.environment) query = query.where('environment', '=', criteria.environment);
  if (criteria.status) query = query.where('status', '=', criteria.status as never);
  return (await query.orderBy('createdAt').orderBy('id').execute()).map((r) => r.id);
}

export interface StartedOperation {
  operation: BulkOperation;
  /** True when the same request already started this operation (nothing new was done). */
  replayed: boolean;
}

/**
 * Records a bulk operation and one item per matched certificate, in one transaction, and audits it.
 * The same request from the same caller within a day (same `idempotency_key`, or the same body when
 * none is given) returns the operation already started.
 */
export async function startBulkOperation(
  deps: ServiceDeps,
  actor: Actor,
  kind: BulkKind,
  request: BulkRequest,
): Promise<StartedOperation> {
  await checkRequest(deps, kind, request);
  const stored = canonical({ criteria: request.criteria, reason: request.reason, changes: request.changes }) as Record<
    string,
    unknown
  >;
  const idempotencyKey =
    request.idempotencyKey ??
    createHash('sha256')
      .update(JSON.stringify({ kind, ...stored }))
      .digest('hex');
  return inTransaction(deps, async (trx) => {
    // Two identical requests at once: the second waits for the first's transaction, then finds it.
    await sql`select pg_advisory_xact_lock(hashtext(${`bulk:${actor.name}:${idempotencyKey}`}))`.execute(trx);
    const existing = await trx
      .selectFrom('bulkOperations')
      .selectAll()
      .where('requestedBy', '=', actor.name)
      .where('idempotencyKey', '=', idempotencyKey)
      .where('createdAt', '>', new Date(deps.now().getTime() - IDEMPOTENCY_WINDOW_MS))
      .orderBy('createdAt', 'desc')
      .executeTakeFirst();
    if (existing) {
      if (existing.kind !== kind)
        throw new ServiceError(409, 'conflict', `idempotency_key was already used for a bulk ${existing.kind}`);
      return { operation: existing, replayed: true };
    }
    const ids = await matchingCertificates(trx, request.criteria);
    const operation = await trx
      .insertInto('bulkOperations')
      .values({
        id: `bulk-${createHash('sha256').update(`${idempotencyKey}:${Math.random()}:${Date.now()}`).digest('hex').slice(0, 20)}`,
        kind,
        requestedBy: actor.name,
        idempotencyKey,
        request: JSON.stringify({ ...stored, actor: { name: actor.name, type: actor.type, role: actor.role } }),
        total: ids.length,
        ...(ids.length === 0 && { status: 'completed' as const, completedAt: deps.now() }),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    for (let at = 0; at < ids.length; at += 500)
      await trx
        .insertInto('bulkOperationItems')
        .values(
          ids
            .slice(at, at + 500)
            .map((certificateId, i) => ({ operationId: operation.id, certificateId, position: at + i })),
        )
        .execute();
    await recordAudit(
      trx,
      actor,
      AUDIT_STARTED[kind],
      { type: 'bulk_operation', id: operation.id },
      { kind, matched: ids.length, ...stored },
    );
    return { operation, replayed: false };
  });
}

interface ItemOutcome {
  status: Extract<BulkItemStatus, 'succeeded' | 'skipped' | 'failed'>;
  jobId?: string;
  detail?: string;
}

function actorOf(operation: BulkOperation): Actor {
  const stored = (operation.request as { actor?: Actor }).actor;
  return { name: operation.requestedBy, type: stored?.type ?? 'user', role: stored?.role ?? 'operator' };
}

async function runItem(deps: ServiceDeps, operation: BulkOperation, certificateId: string): Promise<ItemOutcome> {
  const actor = actorOf(operation);
  const request = operation.request as { reason?: string; changes?: ReassignChanges };
  const certificate = await deps.db
    .selectFrom('certificates')
    .select(['id', 'status', 'currentVersionId', 'ownerId', 'teamId', 'renewalPolicyId', 'profileId'])
    .where('id', '=', certificateId)
    .executeTakeFirst();
  if (!certificate) return { status: 'skipped', detail: 'certificate no longer exists' };
  if (certificate.status === 'archived') return { status: 'skipped', detail: 'certificate is archived' };
  try {
    if (operation.kind === 'revoke') {
      if (certificate.status === 'revoked') return { status: 'skipped', detail: 'already revoked' };
      if (!certificate.currentVersionId) return { status: 'skipped', detail: 'never issued' };
      const revoked = await revokeCertificate(deps, actor, certificateId, request.reason, {
        bulk_operation_id: operation.id,
      });
      return {
        status: 'succeeded',
        detail: revoked.issuerNotified ? 'revoked' : `revoked; the issuer was not told: ${revoked.issuerError}`,
      };
    }
    if (operation.kind === 'renew') {
      const open = await deps.db
        .selectFrom('jobs')
        .select('id')
        .where('certificateId', '=', certificateId)
        .where('type', 'in', ['issuance', 'renewal'])
        .where('status', 'in', ['pending', 'awaiting_csr', 'awaiting_approval', 'running', 'waiting_on_ca'])
        .executeTakeFirst();
      if (open) return { status: 'skipped', jobId: open.id, detail: 'an issuance or renewal job is already open' };
      const job = await renewNow(deps, actor, certificateId);
      return { status: 'succeeded', jobId: job.id, detail: `${job.type} job queued (${job.status})` };
    }
    const changes = request.changes ?? {};
    const delta = Object.fromEntries(
      Object.entries(changes).filter(
        ([key, value]) => value !== undefined && certificate[key as keyof typeof certificate] !== value,
      ),
    ) as ReassignChanges;
    if (Object.keys(delta).length === 0) return { status: 'skipped', detail: 'already assigned so' };
    await updateCertificate(deps, actor, certificateId, delta);
    return { status: 'succeeded', detail: `set ${Object.keys(delta).join(', ')}` };
  } catch (error) {
    if (error instanceof ServiceError && error.status === 409) return { status: 'skipped', detail: error.message };
    return { status: 'failed', detail: error instanceof Error ? error.message : String(error) };
  }
}

/** Claims the operation's next open item (or one whose claimant died) with SKIP LOCKED, so replicas share the work. */
async function claimNextItem(deps: ServiceDeps, operationId: string): Promise<BulkOperationItem | undefined> {
  const { rows } = await sql<BulkOperationItem>`
    UPDATE bulk_operation_items SET status = 'running',
      lease_expires_at = now() + ${`${ITEM_LEASE_MS} milliseconds`}::interval, updated_at = now()
    WHERE (operation_id, certificate_id) IN (
      SELECT operation_id, certificate_id FROM bulk_operation_items
      WHERE operation_id = ${operationId}
        AND (status = 'pending' OR (status = 'running' AND lease_expires_at < now()))
      ORDER BY position LIMIT 1 FOR UPDATE SKIP LOCKED)
    RETURNING operation_id AS "operationId", certificate_id AS "certificateId", position, status`.execute(deps.db);
  return rows[0];
}

/** Works through an operation's items one by one, then marks it completed (once, whichever replica finishes). */
export async function processBulkOperation(deps: ServiceDeps, operationId: string): Promise<void> {
  const operation = await deps.db
    .selectFrom('bulkOperations')
    .selectAll()
    .where('id', '=', operationId)
    .executeTakeFirst();
  if (!operation || operation.status === 'completed') return;
  for (;;) {
    const item = await claimNextItem(deps, operationId);
    if (!item) break;
    const outcome = await runItem(deps, operation, item.certificateId);
    await deps.db
      .updateTable('bulkOperationItems')
      .set({
        status: outcome.status,
        jobId: outcome.jobId ?? null,
        detail: outcome.detail?.slice(0, 2000) ?? null,
        leaseExpiresAt: null,
        updatedAt: deps.now(),
      })
      .where('operationId', '=', operationId)
      .where('certificateId', '=', item.certificateId)
      .execute();
  }
  await inTransaction(deps, async (trx) => {
    const open = await trx
      .selectFrom('bulkOperationItems')
      .select('certificateId')
      .where('operationId', '=', operationId)
      .where('status', 'in', ['pending', 'running'])
      .executeTakeFirst();
    if (open) return;
    const done = await trx
      .updateTable('bulkOperations')
      .set({ status: 'completed', completedAt: deps.now(), updatedAt: deps.now() })
      .where('id', '=', operationId)
      .where('status', '=', 'running')
      .returning('id')
      .executeTakeFirst();
    if (!done) return;
    const counts = await itemCounts(trx, operationId);
    await recordAudit(
      trx,
      actorOf(operation),
      'bulk_operation_completed',
      { type: 'bulk_operation', id: operationId },
      { kind: operation.kind, ...counts },
    );
  });
}

/** Operations left running (a restart, another replica's crash): resumed by the scheduler. */
export async function resumeBulkOperations(deps: ServiceDeps): Promise<number> {
  const running = await deps.db
    .selectFrom('bulkOperations')
    .select('id')
    .where('status', '=', 'running')
    .orderBy('createdAt')
    .execute();
  for (const { id } of running) await processBulkOperation(deps, id);
  return running.length;
}

type Counts = Record<BulkItemStatus, number>;

async function itemCounts(db: Executor, operationId: string): Promise<Counts> {
  const rows = await db
    .selectFrom('bulkOperationItems')
    .select(['status', (eb) => eb.fn.countAll<number>().as('n')])
    .where('operationId', '=', operationId)
    .groupBy('status')
    .execute();
  const counts: Counts = { pending: 0, running: 0, succeeded: 0, skipped: 0, failed: 0 };
  for (const row of rows) counts[row.status] = Number(row.n);
  return counts;
}

export interface BulkOperationView {
  id: string;
  kind: BulkKind;
  status: BulkStatus;
  requestedBy: string;
  idempotencyKey: string;
  /** As sent (snake_case keys): the view passes them through untouched. */
  criteria: Record<string, unknown>;
  reason: string | null;
  changes: ReassignChanges | null;
  total: number;
  counts: Counts;
  createdAt: Date;
  completedAt: Date | null;
}

export async function operationView(db: Executor, operation: BulkOperation): Promise<BulkOperationView> {
  const request = operation.request as { criteria?: BulkCriteria; reason?: string; changes?: ReassignChanges };
  const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
  return {
    id: operation.id,
    kind: operation.kind,
    status: operation.status,
    requestedBy: operation.requestedBy,
    idempotencyKey: operation.idempotencyKey,
    criteria: Object.fromEntries(Object.entries(request.criteria ?? {}).map(([k, v]) => [snake(k), v])),
    reason: request.reason ?? null,
    changes: request.changes ?? null,
    total: operation.total,
    counts: await itemCounts(db, operation.id),
    createdAt: operation.createdAt,
    completedAt: operation.completedAt,
  };
}

export async function getBulkOperation(deps: ServiceDeps, id: string): Promise<BulkOperationView> {
  const operation = await deps.db.selectFrom('bulkOperations').selectAll().where('id', '=', id).executeTakeFirst();
  if (!operation) throw notFound('bulk operation', id);
  return operationView(deps.db, operation);
}

export async function listBulkOperations(
  deps: ServiceDeps,
  filters: { kind?: BulkKind; status?: BulkStatus },
  page: PageRequest,
): Promise<PageResult<BulkOperationView>> {
  let query = deps.db.selectFrom('bulkOperations');
  if (filters.kind) query = query.where('kind', '=', filters.kind);
  if (filters.status) query = query.where('status', '=', filters.status);
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('createdAt', 'desc').orderBy('id').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  const data: BulkOperationView[] = [];
  for (const row of rows) data.push(await operationView(deps.db, row));
  return { data, total: Number(count.n), ...page };
}

export interface BulkItemView {
  certificateId: string;
  position: number;
  status: BulkItemStatus;
  jobId: string | null;
  jobStatus: JobStatus | null;
  detail: string | null;
  updatedAt: Date;
}

/** Per-certificate results; for a renewal the job's live status shows how far it got. */
export async function listBulkItems(
  deps: ServiceDeps,
  operationId: string,
  filters: { status?: BulkItemStatus },
  page: PageRequest,
): Promise<PageResult<BulkItemView>> {
  await getBulkOperation(deps, operationId);
  let query = deps.db.selectFrom('bulkOperationItems as i').where('i.operationId', '=', operationId);
  if (filters.status) query = query.where('i.status', '=', filters.status);
  const [rows, count] = await Promise.all([
    query
      .leftJoin('jobs', 'jobs.id', 'i.jobId')
      .select([
        'i.certificateId',
        'i.position',
        'i.status',
        'i.jobId',
        'jobs.status as jobStatus',
        'i.detail',
        'i.updatedAt',
      ])
      .orderBy('i.position')
      .limit(page.perPage)
      .offset(offsetOf(page))
      .execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data: rows.map((r) => ({ ...r, jobStatus: r.jobStatus ?? null })), total: Number(count.n), ...page };
}
