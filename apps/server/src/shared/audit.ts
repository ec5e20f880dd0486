import type { Executor } from '../db/open-database.js';
import { newId } from '../db/ids.js';
import type { AuditEvent } from '../db/tables.js';
import type { Actor } from './actor.js';
import { offsetOf, type PageRequest, type PageResult } from './pagination.js';

/** Appends an audit event on the executor of the change it describes (same transaction). */
export async function recordAudit(
  db: Executor,
  actor: Actor,
  action: string,
  resource: { type: string; id?: string },
  details: Record<string, unknown> = {},
): Promise<void> {
  await db
    .insertInto('auditEvents')
    .values({
      id: newId('audit'),
      actor: actor.name,
      actorType: actor.type,
      action,
      resourceType: resource.type,
      resourceId: resource.id ?? '',
      details: JSON.stringify(details),
      requestId: actor.requestId ?? null,
    })
    .execute();
}

export interface AuditFilters {
  actor?: string;
  action?: string;
  resourceType?: string;
  resourceId?: string;
  since?: Date;
  until?: Date;
}

export async function listAudit(
  db: Executor,
  filters: AuditFilters,
  page: PageRequest,
): Promise<PageResult<AuditEvent>> {
  let query = db.selectFrom('auditEvents');
  if (filters.actor) query = query.where('actor', '=', filters.actor);
  if (filters.action) query = query.where('action', '=', filters.action);
  if (filters.resourceType) query = query.where('resourceType', '=', filters.resourceType);
  if (filters.resourceId) query = query.where('resourceId', '=', filters.resourceId);
  if (filters.since) query = query.where('createdAt', '>=', filters.since);
  if (filters.until) query = query.where('createdAt', '<', filters.until);
  const [rows, count] = await Promise.all([
    query.selectAll().orderBy('seq', 'desc').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data: rows, total: Number(count.n), ...page };
}

export async function getAuditEvent(db: Executor, id: string): Promise<AuditEvent | undefined> {
  return db.selectFrom('auditEvents').selectAll().where('id', '=', id).executeTakeFirst();
}
