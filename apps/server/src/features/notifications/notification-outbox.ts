import type { Notification, NotificationCertificate, NotificationEvent } from '@certctl/core';
import { sql } from 'kysely';
import { newId } from '../../db/ids.js';
import type { Executor } from '../../db/open-database.js';
import type { AlertSeverity, OutboxRow, OutboxStatus } from '../../db/tables.js';
import { channelType } from './alert-routing.js';
import { offsetOf, type PageRequest, type PageResult } from '../../shared/pagination.js';
import type { ServiceDeps } from '../../shared/service-deps.js';

/** A notification as it waits in the outbox (JSON: dates as ISO strings). */
export interface OutboxMessage {
  event: NotificationEvent;
  severity: AlertSeverity;
  subject: string;
  text: string;
  html?: string;
  certificate?: Omit<NotificationCertificate, 'notAfter'> & { notAfter?: string };
  /** The incident key notifiers see (`Notification.dedupKey`); resolve closes what it opened. */
  incidentKey: string;
  recipients?: string[];
  url?: string;
  occurredAt: string;
}

export interface EnqueueRequest {
  /** What makes this delivery unique, before the notifier is appended: `expiry:<version>:<threshold>`. */
  dedupBase: string;
  action?: 'send' | 'resolve';
  channels: readonly string[];
  message: OutboxMessage;
  certificateId?: string;
  versionId?: string;
  thresholdDays?: number;
}

/**
 * Adds one outbox row per enabled notifier instance serving each channel. The unique dedup key
 * (base + notifier) makes a second enqueue of the same delivery a no-op, whichever replica or
 * restart attempts it. Runs on the caller's executor, so an event and its notifications commit
 * together. Returns the rows actually inserted.
 */
export async function enqueueNotifications(
  db: Executor,
  deps: Pick<ServiceDeps, 'settings' | 'now' | 'logger'>,
  request: EnqueueRequest,
): Promise<OutboxRow[]> {
  const types = [...new Set(request.channels.map(channelType))];
  if (types.length === 0) return [];
  const notifiers = await db
    .selectFrom('notifiers')
    .select(['id', 'type'])
    .where('type', 'in', types)
    .where('enabled', '=', true)
    .orderBy('id')
    .execute();
  const served = new Set(notifiers.map((n) => n.type));
  const unserved = types.filter((t) => !served.has(t));
  if (unserved.length > 0)
    deps.logger.warn(
      { channels: unserved, dedup: request.dedupBase },
      'no enabled notifier serves these alert channels; configure one (CERTCTL_SMTP_HOST, CERTCTL_SLACK_WEBHOOK_URL, ... or POST /api/v1/notifiers)',
    );
  if (notifiers.length === 0) return [];
  const now = deps.now();
  const rows = await db
    .insertInto('notificationOutbox')
    .values(
      notifiers.map((n) => ({
        id: newId('notification'),
        dedupKey: `${request.dedupBase}|${n.id}`,
        action: request.action ?? 'send',
        event: request.message.event,
        severity: request.message.severity,
        channel: n.type,
        notifierId: n.id,
        certificateId: request.certificateId ?? null,
        versionId: request.versionId ?? null,
        thresholdDays: request.thresholdDays ?? null,
        payload: JSON.stringify(request.message),
        maxAttempts: deps.settings.notifications.maxAttempts,
        nextAttemptAt: now,
      })),
    )
    .onConflict((oc) => oc.column('dedupKey').doNothing())
    .returningAll()
    .execute();
  return rows;
}

/** The Notification a notifier receives for an outbox row. */
export function notificationOf(row: OutboxRow): Notification {
  const message = row.payload as unknown as OutboxMessage;
  const { notAfter, ...certificate } = message.certificate ?? ({} as NonNullable<OutboxMessage['certificate']>);
  return {
    event: message.event,
    severity: message.severity,
    subject: message.subject,
    text: message.text,
    ...(message.html !== undefined && { html: message.html }),
    ...(message.certificate && {
      certificate: { ...certificate, ...(notAfter && { notAfter: new Date(notAfter) }) } as NotificationCertificate,
    }),
    dedupKey: message.incidentKey,
    ...(message.recipients && { recipients: message.recipients }),
    ...(message.url && { url: message.url }),
    occurredAt: new Date(message.occurredAt),
  };
}

/**
 * Leases up to `limit` due rows (pending, or failed and past their backoff, or leased by a replica
 * that died) with FOR UPDATE SKIP LOCKED, so concurrent dispatchers never take the same row.
 */
export async function claimOutbox(
  db: Executor,
  replicaId: string,
  now: Date,
  leaseMs: number,
  limit: number,
  onlyIds?: readonly string[],
): Promise<OutboxRow[]> {
  const { rows } = await sql<OutboxRow>`
    UPDATE notification_outbox SET
      lease_owner = ${replicaId},
      lease_expires_at = ${now}::timestamptz + ${`${leaseMs} milliseconds`}::interval,
      updated_at = ${now}::timestamptz
    WHERE id IN (
      SELECT id FROM notification_outbox
      WHERE status IN ('pending', 'failed')
        AND next_attempt_at <= ${now}::timestamptz
        AND (lease_expires_at IS NULL OR lease_expires_at < ${now}::timestamptz)
        ${onlyIds ? sql`AND id IN (${sql.join(onlyIds.length > 0 ? onlyIds : [''])})` : sql``}
      ORDER BY next_attempt_at, created_at
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING *`.execute(db);
  return rows;
}

export type Settlement =
  | { outcome: 'sent'; providerId?: string; detail?: string }
  | { outcome: 'failed'; error: string; retryAt: Date }
  | { outcome: 'dead'; error: string };

/** Records the result of one delivery attempt on a row this replica leased; false when the lease was lost meanwhile. */
export async function settleOutbox(
  db: Executor,
  row: OutboxRow,
  replicaId: string,
  now: Date,
  result: Settlement,
): Promise<boolean> {
  const status: OutboxStatus = result.outcome;
  const updated = await db
    .updateTable('notificationOutbox')
    .set({
      status,
      attempts: row.attempts + 1,
      leaseOwner: null,
      leaseExpiresAt: null,
      updatedAt: now,
      ...(result.outcome === 'sent'
        ? { sentAt: now, providerId: result.providerId ?? null, lastError: null }
        : { lastError: result.error.slice(0, 2000) }),
      ...(result.outcome === 'failed' && { nextAttemptAt: result.retryAt }),
    })
    .where('id', '=', row.id)
    .where('leaseOwner', '=', replicaId)
    .where('status', 'in', ['pending', 'failed'])
    .executeTakeFirst();
  return Number(updated.numUpdatedRows) > 0;
}

export interface OutboxFilters {
  status?: OutboxStatus;
  channel?: string;
  event?: string;
  certificateId?: string;
  notifierId?: string;
}

export async function listOutbox(
  db: Executor,
  filters: OutboxFilters,
  page: PageRequest,
): Promise<PageResult<OutboxRow>> {
  let query = db.selectFrom('notificationOutbox');
  if (filters.status) query = query.where('status', '=', filters.status);
  if (filters.channel) query = query.where('channel', '=', channelType(filters.channel));
  if (filters.event) query = query.where('event', '=', filters.event);
  if (filters.certificateId) query = query.where('certificateId', '=', filters.certificateId);
  if (filters.notifierId) query = query.where('notifierId', '=', filters.notifierId);
  const [data, count] = await Promise.all([
    query.selectAll().orderBy('createdAt', 'desc').orderBy('id').limit(page.perPage).offset(offsetOf(page)).execute(),
    query.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { data, total: Number(count.n), ...page };
}
